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
            + " (model_index.json: FluxPipeline) (default: the shipped toy teacher)")
    Path model;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--image-size", converter = Converters.SizeConverter.class, description = "image size WxH for a"
            + " pipeline folder (default: 1024x1024)")
    Converters.Size imageSize = new Converters.Size(1024, 1024);

    @Option(names = "--dtype", description = "transformer compute type for a pipeline folder: fp32 or fp16"
            + " (default: ${DEFAULT-VALUE})")
    String dtype = "fp32";

    @Option(names = "--weights-variant", description = "weights variant of a pipeline folder (bf16, fp16)")
    String variant;

    @Option(names = "--max-sequence-length", description = "T5 tokens for a pipeline folder (default: the"
            + " tokenizer's limit, 512 for Flux)")
    int maxSequenceLength;

    DiffusionModel load() throws IOException {
        Device d = Engines.device(device);
        if (model == null) {
            return ToyTeacher.load(d);
        }
        if (Files.isDirectory(model)) {
            return DiffusersPipeline.open(model, new DiffusersPipeline.Options(imageSize.height(), imageSize.width(), d,
                    ModelCommand.dataType(dtype), variant, maxSequenceLength));
        }
        return ToyModelFiles.load(model, d);
    }

    /** Metadata keys a LoRA file may carry with its recommended inference settings. */
    static final String RECOMMENDED_STEPS = "flowlab.recommended.steps";
    static final String RECOMMENDED_SHIFT = "flowlab.recommended.shift";
    static final String RECOMMENDED_SCALE = "flowlab.recommended.lora_scale";

    /** Loads a LoRA file onto the model's components as adapter {@code name}; returns its metadata. */
    static Map<String, String> loadLora(DiffusionModel model, Path file, String name) throws IOException {
        LoraFiles.LoraFile f = LoraFiles.read(file);
        LoraFiles.load(model.components(), f, name);
        return f.metadata();
    }
}
