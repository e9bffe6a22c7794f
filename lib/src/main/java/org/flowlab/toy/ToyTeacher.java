package org.flowlab.toy;

import ai.djl.Device;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ArrayList;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Parameter;
import org.flowlab.progress.ProgressListener;
import org.flowlab.train.TrainingLoop;
import org.flowlab.schedule.LossWeighting;
import org.flowlab.schedule.TimestepSampler;
import org.flowlab.train.FlowMatchingTrainer;
import org.flowlab.train.OptimizerConfig;

/**
 * The shipped pre-trained teacher of the toy world: a {@link DiTConfig#toy()} DiT trained by plain flow matching on
 * held-in captioned shapes, with 10% caption dropout so classifier-free guidance works. {@link #load} reads the
 * weights shipped in {@code models/} (also on the classpath); {@link #train} reproduces them.
 */
public final class ToyTeacher {
    /** Classpath location of the shipped weights (the repository's {@code models/} folder). */
    public static final String RESOURCE = "/models/toy-teacher.safetensors";

    private ToyTeacher() {
    }

    /**
     * The recipe.
     *
     * @param steps optimizer steps
     * @param batchSize images per step
     * @param seed fixes initial weights, data and every draw
     */
    public record Recipe(long steps, int batchSize, long seed, DiTConfig model, OptimizerConfig optimizer) {
        /** What produced the shipped weights. */
        public static Recipe shipped() {
            return new Recipe(7000, 64, 2026, DiTConfig.toy(), OptimizerConfig.teacher());
        }

        public FlowMatchingTrainer.Config trainerConfig() {
            // logit-normal(0, 1) as SD3: more steps in the middle of the schedule where learning is hardest
            return FlowMatchingTrainer.Config.builder().batchSize(batchSize).seed(seed)
                    .sampler(new TimestepSampler.LogitNormal(0, 1)).weighting(LossWeighting.NONE).captionDropout(0.1)
                    .optimizer(optimizer).build();
        }
    }

    /**
     * Trains a teacher, checkpointing to {@code checkpoint} every {@code every} steps and resuming from it when it
     * exists. Interruptible between steps.
     */
    public static DiffusionModel train(Recipe recipe, Path checkpoint, int every, ProgressListener listener)
            throws IOException {
        DiffusionModel model = ToyModel.create(recipe.model(), Device.cpu(), recipe.seed());
        return train(model, ToyShapes.trainingSource(recipe.seed()), recipe, checkpoint, every, listener);
    }

    /** Every parameter of both components by flow matching on {@code data}; the model is closed if training fails. */
    private static DiffusionModel train(DiffusionModel model, org.flowlab.train.TrainingBatch.Source data, Recipe recipe,
                                        Path checkpoint, int every, ProgressListener listener) throws IOException {
        List<Parameter> all = new ArrayList<>(model.textEncoder().parameters().all());
        all.addAll(model.transformer().parameters().all());
        try (FlowMatchingTrainer trainer = new FlowMatchingTrainer(model, all, data, recipe.trainerConfig())) {
            if (checkpoint != null && Files.exists(checkpoint)) {
                trainer.resume(checkpoint);
            }
            trainer.train(recipe.steps(), listener, new TrainingLoop.Checkpoints(checkpoint, every));
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Trains a teacher of the second world on {@code codec}'s latents of {@code latents} pre-encoded training scenes,
     * with the grammar's own vocabulary (the recipe's network, sized to the codec's latents); checkpoints and resumes
     * as {@link #train}. {@code latents} 0 trains on fresh scenes every step, for a pixel-space teacher (the identity
     * codec).
     */
    public static DiffusionModel trainOnScenes(Recipe recipe, org.flowlab.model.LatentCodec codec, int latents,
                                               Path checkpoint, int every, ProgressListener listener) throws IOException {
        if (latents < 1 && !java.util.Arrays.equals(codec.latentShape(), codec.pixelShape())) {
            throw new IllegalArgumentException(latents + " pre-encoded scenes: a latent teacher needs some (" + codec
                    + "); only a pixel-space one renders fresh scenes each step");
        }
        DiffusionModel model = ToyModel.create(recipe.model().forLatents(codec.latentShape()),
                new Tokenizer(org.flowlab.toy.scenes.SceneCaptions.WORDS, recipe.model().textLength()), codec,
                Device.cpu(), recipe.seed(), java.util.Map.of(ToyModel.WORLD, ToyModel.SCENES));
        try {
            return train(model, latents > 0 ? org.flowlab.toy.scenes.Scenes.latentSource(codec, latents, recipe.seed(),
                    model.transformer().manager()) : org.flowlab.toy.scenes.Scenes.trainingSource(recipe.seed()),
                    recipe, checkpoint, every, listener);
        } catch (RuntimeException e) {
            model.close(); // encoding the scenes failed before training began
            throw e;
        }
    }

    /** The shipped teacher, from the classpath. */
    public static DiffusionModel load(Device device) throws IOException {
        try (InputStream in = ToyTeacher.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the toy teacher " + RESOURCE + " is not on the classpath; build with the"
                        + " repository's models/ folder, or train one: ./flowlab teacher train");
            }
            return ToyModelFiles.load(in, RESOURCE, device);
        }
    }
}
