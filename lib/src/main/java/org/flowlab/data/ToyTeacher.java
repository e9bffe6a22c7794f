package org.flowlab.data;

import ai.djl.Device;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flowlab.io.ModelFiles;
import org.flowlab.nn.DiTConfig;
import org.flowlab.nn.ToyDiT;
import org.flowlab.progress.ProgressListener;
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
            return new FlowMatchingTrainer.Config(batchSize, seed, new TimestepSampler.LogitNormal(0, 1),
                    LossWeighting.NONE, 0.1, optimizer);
        }
    }

    /**
     * Trains a teacher, checkpointing to {@code checkpoint} every {@code every} steps and resuming from it when it
     * exists. Interruptible between steps.
     */
    public static ToyDiT train(Recipe recipe, Path checkpoint, int every, ProgressListener listener) throws IOException {
        ToyDiT model = new ToyDiT(recipe.model(), Device.cpu(), recipe.seed());
        try (FlowMatchingTrainer trainer = new FlowMatchingTrainer(model, List.copyOf(model.parameters().all()),
                ToyShapes.trainingSource(recipe.seed()), recipe.trainerConfig())) {
            if (checkpoint != null && Files.exists(checkpoint)) {
                trainer.resume(checkpoint);
            }
            trainer.train(recipe.steps(), listener, checkpoint, every);
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The shipped teacher, from the classpath. */
    public static ToyDiT load(Device device) throws IOException {
        try (InputStream in = ToyTeacher.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the toy teacher " + RESOURCE + " is not on the classpath; build with the"
                        + " repository's models/ folder, or train one: ./flowlab teacher train");
            }
            return ModelFiles.load(in, RESOURCE, device);
        }
    }
}
