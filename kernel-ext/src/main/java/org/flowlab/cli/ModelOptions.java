package org.flowlab.cli;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.flowlab.data.ToyTeacher;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.ModelFiles;
import org.flowlab.lora.Lora;
import org.flowlab.nn.Engines;
import org.flowlab.nn.ToyDiT;
import picocli.CommandLine.Option;

/** Which base model to load, on which device (shared by sample, glance, scfm, eval). */
final class ModelOptions {
    @Option(names = "--model", description = "base model weights (default: the shipped toy teacher)")
    Path model;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    ToyDiT load() throws IOException {
        Device d = Engines.device(device);
        return model == null ? ToyTeacher.load(d) : ModelFiles.load(model, d);
    }

    /** Metadata keys a LoRA file may carry with its recommended inference settings. */
    static final String RECOMMENDED_STEPS = "flowlab.recommended.steps";
    static final String RECOMMENDED_SHIFT = "flowlab.recommended.shift";
    static final String RECOMMENDED_SCALE = "flowlab.recommended.lora_scale";

    /** Loads a LoRA file onto the model as adapter {@code name}; returns its metadata. */
    static Map<String, String> loadLora(ToyDiT model, Path file, String name) throws IOException {
        LoraFiles.load(Lora.of(model), file, name);
        return LoraFiles.read(file).metadata();
    }
}
