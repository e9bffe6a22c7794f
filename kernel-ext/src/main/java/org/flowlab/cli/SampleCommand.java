package org.flowlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.eval.SampleSet;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.lora.Lora;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowlab sample}: images from the toy teacher, optionally with a LoRA (SCFM, Glance phase...). */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample images: one PNG per (prompt, seed), manifest.json and grid.png in --out. The same seed"
                + " gives the same initial noise for every method and step count.")
final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static final class Prompts {
        @Option(names = "--prompt", required = true, description = "one prompt (repeat for more)")
        List<String> prompts;

        @Option(names = "--prompts", required = true, description = "a file with one prompt per line")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompts prompts;

    @Option(names = "--seeds", converter = SeedList.class, description = "seeds, e.g. 0-15 or 0,3,7 (default: 0-3)")
    SeedList.Seeds seedOption = SeedList.Seeds.of(0, 1, 2, 3);

    @Option(names = "--steps", description = "Euler steps (default: the LoRA's recommendation, else the model's"
            + " reference steps)")
    Integer steps;

    @Option(names = "--shift", description = "static schedule shift (default: the LoRA's recommendation, else the"
            + " model's)")
    Double shift;

    @Option(names = "--lora", description = "a LoRA file (PEFT keys) to apply")
    Path lora;

    @Option(names = "--lora-scale", description = "LoRA scale (default: the LoRA's recommendation, else 1)")
    Double loraScale;

    @Option(names = "--batch", description = "images per model call (default: ${DEFAULT-VALUE})")
    int batch = 16;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Mixin
    ModelOptions model;

    @Option(names = "--guidance", description = "guidance-embedding value, for a model that takes one (default: the"
            + " LoRA's recommendation, else the model's)")
    Double guidance;

    @Override
    public Integer call() throws Exception {
        long[] seeds = seedOption.values();
        List<String> promptList = promptList();
        Engines.prepareThread();
        PrintWriter err = spec.commandLine().getErr();
        try (DiffusionModel base = model.load()) {
            promptList.forEach(p -> warnings(base, p, err));
            Map<String, String> meta = lora == null ? Map.of() : ModelOptions.loadLora(base, lora, "lora");
            int n = steps != null ? steps : Integer.parseInt(meta.getOrDefault(ModelOptions.RECOMMENDED_STEPS,
                    Integer.toString(base.defaults().steps())));
            double s = shift != null ? shift : Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SHIFT,
                    Double.toString(base.defaults().shift())));
            double scale = loraScale != null ? loraScale
                    : Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SCALE, "1.0"));
            if (n < 1) {
                throw new IllegalArgumentException("--steps " + n + " is not allowed; use 1 or more");
            }
            double w = base.defaults().cfg(); // --cfg, else the model's
            SamplingPlan plan = SamplingPlan.of(base.schedule(n, s), lora == null ? Lora.BASE : "lora").withGuidance(w);
            String method = (lora == null ? "teacher" : lora.getFileName().toString()) + "@" + n;
            double embedded = guidance != null ? guidance : meta.containsKey(ModelOptions.RECOMMENDED_GUIDANCE)
                    && base.transformer().takesGuidance()
                    ? Double.parseDouble(meta.get(ModelOptions.RECOMMENDED_GUIDANCE)) : Double.NaN;
            Pipeline.Request request = new Pipeline.Request(plan, lora == null ? 0 : scale, embedded);
            SampleSet.Generated g = SampleSet.generate(base, method, request, s, promptList, seeds, batch);
            SampleSet.write(out, g, method + ", shift " + s + (w != 1 ? ", CFG " + w : ""), promptList.size());
            double mean = g.entries().stream().mapToDouble(SampleSet.Entry::seconds).average().orElse(0);
            err.printf(Locale.ROOT, "%d images (%s, %d NFE each, %.1f ms per image) -> %s%n", g.entries().size(), method,
                    plan.nfe(), mean * 1000, out);
            err.flush();
        }
        return 0;
    }

    private List<String> promptList() throws IOException {
        if (prompts.prompts != null) {
            return prompts.prompts;
        }
        if (!Files.isRegularFile(prompts.file)) {
            throw new IllegalArgumentException("--prompts " + prompts.file + " does not exist");
        }
        List<String> lines = Files.readAllLines(prompts.file, StandardCharsets.UTF_8).stream().map(String::trim)
                .filter(l -> !l.isEmpty()).toList();
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("--prompts " + prompts.file + " holds no prompts");
        }
        return lines;
    }

    /**
     * Says how the model reads a prompt when it does not read it whole: a cut long prompt, or the toy's unknown words
     * (read as {@code <unk>}: a warning, not a failure, so any prompt can be tried).
     */
    static void warnings(DiffusionModel model, String prompt, PrintWriter err) {
        try {
            model.textEncoder().check(prompt);
        } catch (IllegalArgumentException e) {
            err.println("warning: " + e.getMessage() + " (read as <unk>)");
        }
        model.textEncoder().notes(prompt).forEach(n -> err.println("warning: " + n));
    }
}
