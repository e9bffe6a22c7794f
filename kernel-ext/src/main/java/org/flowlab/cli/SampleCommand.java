package org.flowlab.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.data.ToyWorld;
import org.flowlab.eval.SampleSet;
import org.flowlab.flow.EulerSampler;
import org.flowlab.flow.Noise;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.lora.Lora;
import org.flowlab.nn.Engines;
import org.flowlab.nn.Tokenizer;
import org.flowlab.nn.ToyDiT;
import org.flowlab.schedule.Schedule;
import org.flowlab.viz.ImageGrid;
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

    @Option(names = "--steps", description = "Euler steps (default: the LoRA's recommendation, else 32)")
    Integer steps;

    @Option(names = "--shift", description = "static schedule shift (default: the LoRA's recommendation, else "
            + ToyWorld.DEFAULT_SHIFT + ")")
    Double shift;

    @Option(names = "--lora", description = "a LoRA file (PEFT keys) to apply")
    Path lora;

    @Option(names = "--lora-scale", description = "LoRA scale (default: the LoRA's recommendation, else 1)")
    Double loraScale;

    @Option(names = "--cfg", description = "classifier-free guidance weight; 1 = off (default: ${DEFAULT-VALUE})")
    double cfg = 1.0;

    @Option(names = "--batch", description = "images per model call (default: ${DEFAULT-VALUE})")
    int batch = 16;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() throws Exception {
        long[] seeds = seedOption.values();
        List<String> promptList = promptList();
        if (seeds.length == 0) {
            throw new IllegalArgumentException("--seeds is empty");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch " + batch + " is not allowed; use 1 or more");
        }
        Engines.prepareThread();
        PrintWriter err = spec.commandLine().getErr();
        try (ToyDiT teacher = model.load()) {
            Map<String, String> meta = lora == null ? Map.of() : ModelOptions.loadLora(teacher, lora, "lora");
            int n = steps != null ? steps : Integer.parseInt(meta.getOrDefault(ModelOptions.RECOMMENDED_STEPS, "32"));
            double s = shift != null ? shift : Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SHIFT,
                    Double.toString(ToyWorld.DEFAULT_SHIFT)));
            double scale = loraScale != null ? loraScale
                    : Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SCALE, "1.0"));
            if (n < 1) {
                throw new IllegalArgumentException("--steps " + n + " is not allowed; use 1 or more");
            }
            warnUnknownWords(teacher.tokenizer(), promptList, err);
            Schedule schedule = ToyWorld.schedule(n, s);
            SamplingPlan plan = SamplingPlan.of(schedule, lora == null ? Lora.BASE : "lora").withGuidance(cfg);
            Lora.of(teacher).setScale(scale);
            String method = (lora == null ? "teacher" : lora.getFileName().toString()) + "@" + n;
            List<SampleSet.Entry> entries = new ArrayList<>();
            List<float[]> all = new ArrayList<>();
            long[] shape = teacher.imageShape();
            int per = Math.toIntExact(shape[0] * shape[1] * shape[2]);
            for (int p = 0; p < promptList.size(); p++) {
                for (int from = 0; from < seeds.length; from += batch) {
                    long[] chunk = Arrays.copyOfRange(seeds, from, Math.min(seeds.length, from + batch));
                    try (NDManager m = teacher.manager().newSubManager()) {
                        NDArray noise = Noise.forSeeds(m, chunk, shape);
                        long t0 = System.nanoTime();
                        float[] images = EulerSampler.sample(teacher, plan, noise,
                                teacher.condition(java.util.Collections.nCopies(chunk.length, promptList.get(p)), m))
                                .images().toFloatArray();
                        double seconds = (System.nanoTime() - t0) / 1e9 / chunk.length;
                        for (int i = 0; i < chunk.length; i++) {
                            float[] img = Arrays.copyOfRange(images, i * per, (i + 1) * per);
                            all.add(img);
                            entries.add(new SampleSet.Entry(promptList.get(p), chunk[i], n, plan.nfe(),
                                    SampleSet.fileName(p, chunk[i]), seconds, method, s, lora == null ? 0 : scale, cfg, img));
                        }
                    }
                }
            }
            float[] flat = new float[all.size() * per];
            for (int i = 0; i < all.size(); i++) {
                System.arraycopy(all.get(i), 0, flat, i * per, per);
            }
            ImageGrid grid = ImageGrid.of(flat, all.size(), (int) shape[0], (int) shape[1], (int) shape[2])
                    .columns(gridColumns(promptList.size(), seeds.length)).title(method + ", shift " + s + (cfg != 1 ? ", CFG " + cfg : ""));
            SampleSet.write(out, entries, grid.image(), (int) shape[0], (int) shape[1], (int) shape[2]);
            double mean = entries.stream().mapToDouble(SampleSet.Entry::seconds).average().orElse(0);
            err.printf(Locale.ROOT, "%d images (%s, %d NFE each, %.1f ms per image) -> %s%n", entries.size(), method,
                    plan.nfe(), mean * 1000, out);
            err.flush();
        }
        return 0;
    }

    /** One prompt: a square grid (16 seeds, 4x4); several: one row per prompt. At most 8 columns either way. */
    static int gridColumns(int prompts, int seeds) {
        return Math.min(8, prompts == 1 ? (int) Math.ceil(Math.sqrt(seeds)) : seeds);
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

    private static void warnUnknownWords(Tokenizer tokenizer, List<String> prompts, PrintWriter err) {
        for (String p : prompts) {
            for (String w : Tokenizer.words(p)) {
                if (!tokenizer.knows(w)) {
                    err.println("warning: the model does not know the word '" + w + "' in '" + p + "' (read as <unk>)");
                }
            }
        }
    }
}
