package org.flowlab.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.diffusers.Transformers;
import org.flowlab.io.DType;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.model.Engines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flowlab model info | forward}: a diffusers model folder, sized and run. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "diffusers model folders (config.json + weights).",
        subcommands = {ModelCommand.Info.class, ModelCommand.Forward.class})
final class ModelCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Class, parameters, weight memory at fp32/fp16, the size of a LoRA, and activation memory of one"
                    + " training step with and without block-wise recomputation (read from config.json and the file"
                    + " headers; no weights are loaded).")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", description = "the model folder (e.g. a pipeline's transformer/)")
        Path dir;

        @Option(names = "--variant", description = "weights variant, e.g. bf16 or fp16")
        String variant;

        @Option(names = "--targets", description = "LoRA targets: glance-flux, glance-qwen, scfm (every Linear), or a"
                + " regular expression over Linear names (default: ${DEFAULT-VALUE})")
        String targets = "glance-flux";

        @Option(names = "--rank", description = "LoRA rank (default: ${DEFAULT-VALUE})")
        int rank = 16;

        @Option(names = "--resolution", description = "image side in pixels (default: ${DEFAULT-VALUE})")
        int resolution = 1024;

        @Option(names = "--batch", description = "images per step (default: ${DEFAULT-VALUE})")
        int batch = 1;

        @Option(names = "--text-length", description = "text tokens (default: ${DEFAULT-VALUE}, Flux-dev's T5 length)")
        int textLength = 512;

        @Override
        public Integer call() throws Exception {
            if (rank < 1 || resolution < 16 || batch < 1 || textLength < 1) {
                throw new IllegalArgumentException("--rank " + rank + ", --resolution " + resolution + ", --batch " + batch
                        + ", --text-length " + textLength + ": all must be positive (resolution at least 16)");
            }
            var out = spec.commandLine().getOut();
            out.println(Transformers.info(dir, variant, targets, rank, resolution, batch, textLength));
            out.flush();
            return 0;
        }
    }

    @Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
            description = "One forward of the model on the tensors of an inputs file (names as diffusers' forward"
                    + " arguments), writing the outputs under the fixtures' names (sample): how anyone checks Flowlab"
                    + " against diffusers.")
    static final class Forward implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", required = true, description = "the model folder")
        Path model;

        @Option(names = "--inputs", required = true, description = "a safetensors file of inputs")
        Path inputs;

        @Option(names = "--out", required = true, description = "the outputs file to write")
        Path out;

        @Option(names = "--set", description = "read the keys prefixed NAME. (e.g. set0, as in the fixtures)")
        String set;

        @Option(names = "--lora", description = "a LoRA file to apply")
        Path lora;

        @Option(names = "--variant", description = "weights variant, e.g. bf16")
        String variant;

        @Option(names = "--dtype", description = "compute dtype of the frozen base: fp32 or fp16 (default: ${DEFAULT-VALUE})")
        String dtype = "fp32";

        @Override
        public Integer call() throws Exception {
            ai.djl.ndarray.types.DataType type = dataType(dtype);
            Engines.prepareThread();
            Map<String, Tensor> in = Transformers.inputs(inputs, set);
            Map<String, Tensor> result = Transformers.forward(model, variant, type, in, lora);
            SafeTensors.write(out, result, Map.of("format", "pt"), DType.F32);
            spec.commandLine().getErr().println(model + " -> " + out + " " + result.keySet());
            spec.commandLine().getErr().flush();
            return 0;
        }
    }

    /** {@code --dtype}: fp32 or fp16. */
    static ai.djl.ndarray.types.DataType dataType(String dtype) {
        return switch (dtype) {
            case "fp32" -> ai.djl.ndarray.types.DataType.FLOAT32;
            case "fp16" -> ai.djl.ndarray.types.DataType.FLOAT16;
            default -> throw new IllegalArgumentException("--dtype " + dtype + " is not supported; use fp32 or fp16");
        };
    }
}
