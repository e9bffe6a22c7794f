package org.flowlab.cli;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flowlab.diffusers.DiffusersPipeline;
import org.flowlab.io.LoraFiles;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.toy.ToyModelFiles;
import org.flowlab.toy.ToyTeacher;
import picocli.CommandLine.Option;

/** Which base model to load, on which device (shared by sample, glance, scfm, eval, report). */
final class ModelOptions {
    @Option(names = "--model", description = "base model: a toy weights file, or a diffusers pipeline folder"
            + " (model_index.json: FluxPipeline, StableDiffusion3Pipeline) (default: the shipped toy teacher)")
    Path model;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--text-encoder-device", description = "where a pipeline's text encoders run (default: --device);"
            + " they load on first use, and not at all when the caches hold every prompt")
    String textEncoderDevice;

    /** A pipeline's image size when none is given. */
    static final Converters.Size DEFAULT_SIZE = new Converters.Size(1024, 1024);

    @Option(names = "--image-size", converter = Converters.SizeConverter.class, description = "image size WxH for a"
            + " pipeline folder (default: 1024x1024; glance train picks its image's aspect-ratio bucket of about"
            + " that many pixels)")
    Converters.Size imageSize;

    @Option(names = "--cache", description = "where prompt conditioning and image latents are kept, reused by later"
            + " runs (default: $FLOWLAB_CACHE, else ~/.cache/flowlab)")
    Path cache;

    @Option(names = "--dtype", description = "transformer compute type for a pipeline folder: fp32 or fp16"
            + " (default: ${DEFAULT-VALUE})")
    String dtype = "fp32";

    @Option(names = "--weights-variant", description = "weights variant of a pipeline folder (bf16, fp16)")
    String variant;

    @Option(names = "--max-sequence-length", description = "T5 tokens for a pipeline folder (default: the"
            + " tokenizer's limit, 512 for Flux)")
    int maxSequenceLength;

    @Option(names = "--cfg", description = "classifier-free guidance weight, 1 = off (default: the model's: 1 for the"
            + " first toy world and Flux, 7 for SD3)")
    Double cfg;

    DiffusionModel load() throws IOException {
        return load(size());
    }

    /** The model, sampled at --cfg when given; a pipeline folder at {@code size} (a toy model has its one size). */
    DiffusionModel load(Converters.Size size) throws IOException {
        if (cfg != null && !(cfg >= 0)) {
            throw new IllegalArgumentException("--cfg " + cfg + " must be 0 or more (1 is off)");
        }
        DiffusionModel loaded = loadModel(size);
        return cfg == null ? loaded : loaded.withDefaults(loaded.defaults().withCfg(cfg));
    }

    private DiffusionModel loadModel(Converters.Size size) throws IOException {
        Device d = Engines.device(device);
        if (model == null) {
            return ToyTeacher.load(d);
        }
        if (isPipelineFolder()) {
            return DiffusersPipeline.open(model, new DiffusersPipeline.Options(size.height(), size.width(), d,
                    ModelCommand.dataType(dtype), variant, maxSequenceLength,
                    textEncoderDevice == null ? null : Engines.device(textEncoderDevice)));
        }
        return ToyModelFiles.load(model, d);
    }

    boolean isPipelineFolder() {
        return model != null && Files.isDirectory(model);
    }

    /** The size asked for, else 1024x1024. */
    Converters.Size size() {
        return imageSize != null ? imageSize : DEFAULT_SIZE;
    }

    /** The cache root: --cache, else $FLOWLAB_CACHE, else ~/.cache/flowlab. */
    Path cacheRoot() {
        if (cache != null) {
            return cache;
        }
        String env = System.getenv("FLOWLAB_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "flowlab");
    }

    /** Metadata keys a LoRA file may carry with its recommended inference settings. */
    static final String RECOMMENDED_STEPS = "flowlab.recommended.steps";
    static final String RECOMMENDED_SHIFT = "flowlab.recommended.shift";
    static final String RECOMMENDED_SCALE = "flowlab.recommended.lora_scale";
    static final String RECOMMENDED_GUIDANCE = "flowlab.recommended.guidance";

    /** Loads a LoRA file onto the model's components as adapter {@code name}; returns its metadata. */
    static Map<String, String> loadLora(DiffusionModel model, Path file, String name) throws IOException {
        LoraFiles.LoraFile f = LoraFiles.read(file);
        LoraFiles.load(model.components(), f, name);
        return f.metadata();
    }
}
