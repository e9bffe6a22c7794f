package org.flowlab.cli;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.flowlab.io.LoraFiles;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.toy.ToyModelFiles;
import org.flowlab.toy.ToyTeacher;
import picocli.CommandLine.Option;

/** Which base model to load, on which device (shared by sample, glance, scfm, eval, report). */
final class ModelOptions {
    @Option(names = "--model", description = "base model weights (default: the shipped toy teacher)")
    Path model;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    DiffusionModel load() throws IOException {
        Device d = Engines.device(device);
        return model == null ? ToyTeacher.load(d) : ToyModelFiles.load(model, d);
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
