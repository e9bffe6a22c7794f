package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.eval.SampleSet;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.glance.Glance;
import org.flowlab.glance.GlanceRun;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowlab glance sample}: two-phase sampling with the LoRAs of a {@code glance train} directory. */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample with the slow and fast LoRAs: same outputs as flowlab sample; --trace prints every step.")
final class GlanceSampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--lora", required = true, description = "a directory written by glance train")
    Path dir;

    @Option(names = "--prompt", required = true, description = "one prompt (repeat for more)")
    List<String> prompts;

    @Option(names = "--seeds", converter = SeedList.class, description = "seeds (default: 0-3)")
    SeedList.Seeds seedOption = SeedList.Seeds.of(0, 1, 2, 3);

    @Option(names = "--variant", description = "consistent (default) or official-qwen")
    String variant = "consistent";

    @Option(names = "--trace", description = "print each step as JSON (sigma, sigma_next, adapter)")
    boolean trace;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Mixin
    ModelOptions model;

    @Option(names = "--batch", description = "images per model call (default: ${DEFAULT-VALUE})")
    int batch = 16;

    @Override
    public Integer call() throws Exception {
        long[] seeds = seedOption.values();
        Glance.Variant v = Glance.Variant.fromId(variant);
        GlanceRun run = GlanceRun.open(dir);
        SamplingPlan plan = run.plan(v);
        Engines.prepareThread();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        int[] trained = run.imageSize();
        Converters.Size size = model.imageSize == null && trained != null && model.isPipelineFolder()
                ? new Converters.Size(trained[0], trained[1]) : model.size(); // the LoRAs' own bucket by default
        try (DiffusionModel base = model.load(size)) {
            GlanceRun.loadAdapters(base, dir);
            prompts.forEach(p -> SampleCommand.warnings(base, p, err));
            String method = "glance-" + v.id() + "@" + plan.steps().size();
            SampleSet.Generated g = SampleSet.generate(base, method, Pipeline.Request.of(plan.withGuidance(
                    base.defaults().cfg())), Double.NaN, prompts, seeds, batch);
            if (trace) {
                g.trace().forEach(stdout::println);
            }
            SampleSet.write(out, g, "Glance " + v.id(), prompts.size());
            err.printf(Locale.ROOT, "%d images (Glance %s, %d NFE each) -> %s%n", g.entries().size(), v.id(), plan.nfe(), out);
            stdout.flush();
            err.flush();
        }
        return 0;
    }
}
