package org.flowlab.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.eval.SampleSet;
import org.flowlab.flow.EulerSampler;
import org.flowlab.flow.Noise;
import org.flowlab.flow.SampleResult;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.glance.Glance;
import org.flowlab.nn.Engines;
import org.flowlab.nn.ToyDiT;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.viz.ImageGrid;
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

    @Override
    public Integer call() throws Exception {
        long[] seeds = seedOption.values();
        Glance.Variant v = Glance.Variant.fromId(variant);
        GlanceCommand.ListOptions lo = new GlanceCommand.ListOptions();
        GlanceLists lists = GlanceCommand.listsFrom(dir, lo);
        SamplingPlan plan = v == Glance.Variant.CONSISTENT ? Glance.plan(lists)
                : Glance.officialQwenPlan(lists, lo.freshFast(lists.fast().length));
        Engines.prepareThread();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        try (ToyDiT teacher = model.load()) {
            GlanceCommand.loadAdapters(teacher, dir);
            long[] shape = teacher.imageShape();
            int per = Math.toIntExact(shape[0] * shape[1] * shape[2]);
            List<SampleSet.Entry> entries = new ArrayList<>();
            List<float[]> all = new ArrayList<>();
            boolean traced = false;
            for (int p = 0; p < prompts.size(); p++) {
                try (NDManager m = teacher.manager().newSubManager()) {
                    NDArray noise = Noise.forSeeds(m, seeds, shape);
                    long t0 = System.nanoTime();
                    SampleResult r = EulerSampler.sample(teacher, plan, noise,
                            teacher.condition(Collections.nCopies(seeds.length, prompts.get(p)), m));
                    float[] images = r.images().toFloatArray();
                    double seconds = (System.nanoTime() - t0) / 1e9 / seeds.length;
                    if (trace && !traced) {
                        r.trace().forEach(stdout::println);
                        traced = true;
                    }
                    for (int i = 0; i < seeds.length; i++) {
                        float[] img = Arrays.copyOfRange(images, i * per, (i + 1) * per);
                        all.add(img);
                        entries.add(new SampleSet.Entry(prompts.get(p), seeds[i], plan.steps().size(), plan.nfe(),
                                SampleSet.fileName(p, seeds[i]), seconds, "glance-" + v.id() + "@" + plan.steps().size(),
                                Double.NaN, 1.0, 1.0, img));
                    }
                }
            }
            float[] flat = new float[all.size() * per];
            for (int i = 0; i < all.size(); i++) {
                System.arraycopy(all.get(i), 0, flat, i * per, per);
            }
            ImageGrid grid = ImageGrid.of(flat, all.size(), (int) shape[0], (int) shape[1], (int) shape[2])
                    .columns(Math.min(seeds.length, 8)).title("Glance " + v.id());
            SampleSet.write(out, entries, grid.image(), (int) shape[0], (int) shape[1], (int) shape[2]);
            err.printf(Locale.ROOT, "%d images (Glance %s, %d NFE each) -> %s%n", entries.size(), v.id(), plan.nfe(), out);
            stdout.flush();
            err.flush();
        }
        return 0;
    }
}
