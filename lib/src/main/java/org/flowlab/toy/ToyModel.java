package org.flowlab.toy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.LatentCodec;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.schedule.ScheduleFamily;

/**
 * The toy world's text-to-image model as a {@link DiffusionModel}: {@link ToyTextEncoder} + {@link ToyDiT} on
 * pixels (an identity codec), sampled on the shifted SCFM grid ({@link ToyWorld#schedule}).
 */
public final class ToyModel {
    public static final String NAME = "toy";
    /** Metadata key: which toy world a model was trained on; {@code scenes} gives its text encoder that grammar. */
    public static final String WORLD = "flowlab.world";
    public static final String SCENES = "scenes";

    private ToyModel() {
    }

    /** A freshly initialised model on {@code device}, weights fixed by {@code seed}. */
    public static DiffusionModel create(DiTConfig config, Device device, long seed) {
        return create(config, new Tokenizer(Tokenizer.DEFAULT_WORDS, config.textLength()), device, seed, Map.of());
    }

    /**
     * The text encoder's parameters are drawn first and the transformer's after them from one stream, so a seed gives
     * the weights it gave when both lived in one network.
     */
    public static DiffusionModel create(DiTConfig config, Tokenizer tokenizer, Device device, long seed,
                                        Map<String, String> metadata) {
        return create(config, tokenizer, LatentCodec.identity(config.channels(), config.imageSize(), config.imageSize()),
                device, seed, metadata);
    }

    /**
     * The same on latents: {@code codec} maps pixels to the (channels, imageSize, imageSize) latents the config
     * describes (the second world's AutoencoderKL).
     */
    public static DiffusionModel create(DiTConfig config, Tokenizer tokenizer, LatentCodec codec, Device device,
                                        long seed, Map<String, String> metadata) {
        NDManager textManager = Engines.get().newBaseManager(device);
        NDManager transformerManager = Engines.get().newBaseManager(device);
        ModuleBuilder mb = new ModuleBuilder(textManager, seed);
        ToyTextEncoder encoder = new ToyTextEncoder(config, tokenizer, mb, textManager);
        if (SCENES.equals(metadata.get(WORLD))) {
            encoder.useGrammar(p -> {
                org.flowlab.toy.scenes.SceneCaptions.parse(p); // an unreadable caption fails here, naming the word
                return p;
            });
        }
        ToyDiT transformer = new ToyDiT(config, mb.next(transformerManager), transformerManager);
        try {
            return new DiffusionModel(NAME, transformer, encoder, codec, ScheduleFamily.SHIFTED_GRID, defaults(config),
                    metadata);
        } catch (IllegalArgumentException e) {
            transformer.close();
            encoder.close();
            throw e;
        }
    }

    /** 32 reference steps, shift 1, no CFG; a guidance-embedded toy samples at guidance 1. */
    public static DiffusionModel.Defaults defaults(DiTConfig config) {
        return new DiffusionModel.Defaults(ToyWorld.REFERENCE_STEPS, ToyWorld.DEFAULT_SHIFT, 1.0,
                config.guidanceEmbed() ? 1.0 : Double.NaN);
    }

    /** Whether {@code model} is a teacher of the second world (scenes with open captions, on a codec's latents). */
    public static boolean isScenes(DiffusionModel model) {
        return SCENES.equals(model.metadata().get(WORLD));
    }

    /** {@code n} held-in training captions of {@code model}'s world, the same for every call with this seed. */
    public static List<String> heldInPrompts(DiffusionModel model, int n, long seed) {
        return isScenes(model) ? org.flowlab.toy.scenes.SceneMetrics.heldInPrompts(n, seed)
                : ToyWorld.heldInPrompts(n, seed).stream().map(ShapeAttributes::caption).toList();
    }

    /** The toy transformer of a toy model; a clear error for any other model. */
    public static ToyDiT transformer(DiffusionModel model) {
        if (model.transformer() instanceof ToyDiT t) {
            return t;
        }
        throw new IllegalArgumentException(model.name() + " is not a toy model (its transformer is "
                + model.transformer().getClass().getSimpleName() + ")");
    }

    /** The toy text encoder of a toy model. */
    public static ToyTextEncoder textEncoder(DiffusionModel model) {
        if (model.textEncoder() instanceof ToyTextEncoder t) {
            return t;
        }
        throw new IllegalArgumentException(model.name() + " is not a toy model (its text encoder is "
                + model.textEncoder().getClass().getSimpleName() + ")");
    }
}
