package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.io.LoraFiles;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flowlab lora convert}: a LoRA file from one layout to the other, checked against the model on the way. */
@Command(name = "lora", mixinStandardHelpOptions = true, description = "LoRA files.",
        subcommands = LoraCommand.Convert.class)
final class LoraCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Rewrite a LoRA file in the diffusers/PEFT layout (transformer.<module>.lora_A.weight) or the"
                    + " kohya layout (lora_unet_<module>.lora_down.weight, for ComfyUI and kohya's tools). The file is"
                    + " loaded onto the model first, so a key that names no module, or a shape that does not fit, is an"
                    + " error before anything is written. Flowlab metadata (recommended settings) is kept.")
    static final class Convert implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", description = "the LoRA file to read (either layout)")
        Path in;

        @Parameters(index = "1", description = "the file to write")
        Path out;

        @Option(names = "--to", required = true, description = "peft or kohya")
        String to;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            LoraFiles.Layout layout = switch (to.toLowerCase(java.util.Locale.ROOT)) {
                case "peft", "diffusers" -> LoraFiles.Layout.PEFT;
                case "kohya" -> LoraFiles.Layout.KOHYA;
                default -> throw new IllegalArgumentException("--to " + to + " is not a layout; use peft or kohya");
            };
            if (!Files.isRegularFile(in)) {
                throw new IllegalArgumentException(in + " does not exist");
            }
            Engines.prepareThread();
            LoraFiles.LoraFile file = LoraFiles.read(in);
            try (DiffusionModel base = model.load()) {
                Map<String, LoraAdapter> adapters = LoraFiles.load(base.components(), file, "lora");
                Map<String, String> keep = new LinkedHashMap<>();
                file.metadata().forEach((k, v) -> {
                    if (k.startsWith("flowlab.")) {
                        keep.put(k, v);
                    }
                });
                LoraFiles.export(adapters, Map.of(), out, keep, layout);
                PrintWriter err = spec.commandLine().getErr();
                err.println(in + " (" + file.layout().name().toLowerCase(java.util.Locale.ROOT) + ", "
                        + adapters.keySet() + ") -> " + out + " (" + to + ")");
                err.flush();
            }
            return 0;
        }
    }
}
