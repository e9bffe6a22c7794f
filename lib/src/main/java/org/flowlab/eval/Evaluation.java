package org.flowlab.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.model.Engines;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Measures methods the way the Glance and SCFM papers do, on the prompt sets a {@link PromptMetrics} names: its
 * metrics (the toy: prompt adherence and Frechet distance), fidelity (PSNR/MSE) to the reference method (the base at
 * its reference step count) from the same noise, latency at batch 1 and 16, and NFE. Works on any model: methods
 * produce pixels, the metrics read pixels.
 */
public final class Evaluation {

    /**
     * @param promptsPerSet prompts drawn from each of the held-in and held-out sets
     * @param seedsPerPrompt noise seeds per prompt (seed k is the same noise for every method)
     * @param promptSeed which prompts are drawn
     * @param realPerPrompt real renders per prompt for the Frechet distance
     * @param latencyRepeats timed repeats per batch size (the median is reported)
     */
    public record Settings(int promptsPerSet, int seedsPerPrompt, long promptSeed, int realPerPrompt, int latencyRepeats) {
        public Settings {
            if (promptsPerSet < 1 || seedsPerPrompt < 1 || realPerPrompt < 1 || latencyRepeats < 1) {
                throw new IllegalArgumentException("evaluation settings must be positive: " + promptsPerSet + " prompts, "
                        + seedsPerPrompt + " seeds, " + realPerPrompt + " real images, " + latencyRepeats + " repeats");
            }
        }

        /** What notebooks and closing notes report: 24 prompts x 4 seeds per set. */
        public static Settings standard() {
            return new Settings(24, 4, 7, 8, 3);
        }

        /** A quick look (and CI): 6 prompts x 2 seeds per set. */
        public static Settings quick() {
            return new Settings(6, 2, 7, 4, 1);
        }
    }

    /**
     * One method on one prompt set.
     *
     * @param metrics the {@link PromptMetrics}' values by name
     * @param intervals the same and {@code psnr_db} with their 95% bootstrap intervals over prompts, where measured
     */
    public record Row(String method, String prompts, int steps, int nfe, double loraScale, double shift,
                      Map<String, Double> metrics, double psnr, double mse, double msPerImageBatch1,
                      double msPerImageBatch16, Map<String, Estimate> intervals) {
        public static final String PSNR = "psnr_db";

        public Row {
            metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
            intervals = Collections.unmodifiableMap(new LinkedHashMap<>(intervals));
        }

        public Row(String method, String prompts, int steps, int nfe, double loraScale, double shift,
                   Map<String, Double> metrics, double psnr, double mse, double msPerImageBatch1,
                   double msPerImageBatch16) {
            this(method, prompts, steps, nfe, loraScale, shift, metrics, psnr, mse, msPerImageBatch1, msPerImageBatch16,
                    Map.of());
        }

        /** A metric (or {@code psnr_db}) with its interval; a point when none was measured. */
        public Estimate estimate(String name) {
            Estimate e = intervals.get(name);
            return e != null ? e : Estimate.point(name.equals(PSNR) ? psnr : metric(name));
        }

        /** One metric's value; NaN when the evaluation did not measure it. */
        public double metric(String name) {
            return metrics.getOrDefault(name, Double.NaN);
        }
    }

    private Evaluation() {
    }

    /**
     * @param reference the method fidelity is measured against (the base at its reference steps); it is also reported
     * @param metrics the prompt sets and the model-specific metrics
     */
    public static List<Row> run(Method reference, List<Method> methods, PromptMetrics metrics, Settings s,
                                ProgressListener listener) {
        Engines.prepareThread();
        List<Method> all = new ArrayList<>();
        all.add(reference);
        all.addAll(methods);
        Map<String, List<String>> sets = metrics.promptSets(s);
        String latencyPrompt = sets.values().iterator().next().get(0);
        List<Row> rows = new ArrayList<>();
        long start = System.nanoTime();
        int done = 0;
        int total = all.size() * sets.size();
        try (NDManager m = Engines.get().newBaseManager()) {
            Map<String, Double> latency1 = new LinkedHashMap<>();
            Map<String, Double> latency16 = new LinkedHashMap<>();
            for (Method method : all) {
                latency1.put(method.name(), latencyMs(method, latencyPrompt, 1, s.latencyRepeats(), m));
                latency16.put(method.name(), latencyMs(method, latencyPrompt, 16, s.latencyRepeats(), m));
            }
            for (Map.Entry<String, List<String>> set : sets.entrySet()) {
                List<String> prompts = new ArrayList<>();
                List<Long> seeds = new ArrayList<>();
                for (String p : set.getValue()) {
                    for (int k = 0; k < s.seedsPerPrompt(); k++) {
                        prompts.add(p);
                        seeds.add((long) k);
                    }
                }
                long[] seedArray = seeds.stream().mapToLong(Long::longValue).toArray();
                Images reference0 = null;
                for (Method method : all) {
                    Interruption.check("before evaluating " + method.name());
                    Images images = generate(method, prompts, seedArray, m);
                    if (reference0 == null) {
                        reference0 = images;
                    }
                    // fidelity per prompt (its seeds' images are consecutive), then PSNR with its interval over prompts
                    int per = s.seedsPerPrompt();
                    double[] promptMse = new double[set.getValue().size()];
                    for (int i = 0; i < images.data().length; i++) {
                        promptMse[i / per] += ImageMetrics.mse(images.data()[i], reference0.data()[i]) / per;
                    }
                    double mse = Arrays.stream(promptMse).average().orElse(0);
                    double psnr = mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(4 / mse);
                    Map<String, Estimate> estimates = new LinkedHashMap<>(
                            metrics.estimate(set.getKey(), prompts, images.data(), images.shape()));
                    estimates.put(Row.PSNR, Bootstrap.overGroups(promptMse.length, idx -> {
                        double sum = 0;
                        for (int g : idx) {
                            sum += promptMse[g];
                        }
                        return sum == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(4 / (sum / idx.length));
                    }, Bootstrap.RESAMPLES, 3));
                    Map<String, Double> scores = new LinkedHashMap<>();
                    estimates.forEach((k, v) -> {
                        if (!k.equals(Row.PSNR)) {
                            scores.put(k, v.value());
                        }
                    });
                    rows.add(new Row(method.name(), set.getKey(), method.steps(), method.nfe(), method.loraScale(),
                            method.shift(), scores, psnr, mse, latency1.get(method.name()), latency16.get(method.name()),
                            estimates));
                    done++;
                    ProgressListener.notify(listener, new Progress("evaluate", done, total,
                            (System.nanoTime() - start) / 1e9, scores, null));
                }
            }
        }
        return rows;
    }

    /**
     * Scores images made elsewhere (a {@link SampleSet} read from disk) by prompt set: the metrics where they can read
     * the prompts, fidelity to the reference from the same seeds, and the set's mean wall time per image as the
     * latency at its sampling batch.
     *
     * @param shape (C, H, W) of the images
     */
    public static List<Row> ofSamples(List<SampleSet.Entry> entries, long[] shape, Method reference,
                                      PromptMetrics metrics) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no images to score");
        }
        Map<String, List<SampleSet.Entry>> sets = new LinkedHashMap<>();
        for (SampleSet.Entry e : entries) {
            sets.computeIfAbsent(metrics.setOf(e.prompt()), k -> new ArrayList<>()).add(e);
        }
        List<Row> rows = new ArrayList<>();
        try (NDManager m = Engines.get().newBaseManager()) {
            for (Map.Entry<String, List<SampleSet.Entry>> set : sets.entrySet()) {
                List<SampleSet.Entry> es = set.getValue();
                float[][] images = es.stream().map(e -> clamp(e.image())).toArray(float[][]::new);
                List<String> prompts = es.stream().map(SampleSet.Entry::prompt).toList();
                long[] seeds = es.stream().mapToLong(SampleSet.Entry::seed).toArray();
                float[][] ref = generate(reference, prompts, seeds, m).data();
                Map<String, Double> scores = set.getKey().equals("other") ? Map.of()
                        : metrics.score(set.getKey(), prompts, images, shape);
                double mse = 0;
                for (int i = 0; i < images.length; i++) {
                    mse += ImageMetrics.mse(images[i], ref[i]) / images.length;
                }
                SampleSet.Entry first = es.get(0);
                double ms = es.stream().mapToDouble(SampleSet.Entry::seconds).average().orElse(0) * 1000;
                rows.add(new Row(first.method(), set.getKey() + " (" + es.size() + ")", first.steps(), first.nfe(),
                        first.loraScale(), first.shift(), scores, mse == 0 ? Double.POSITIVE_INFINITY
                        : 10 * Math.log10(4 / mse), mse, Double.NaN, ms));
            }
        }
        return rows;
    }

    private static float[] clamp(float[] image) {
        float[] out = image.clone();
        for (int k = 0; k < out.length; k++) {
            out[k] = Math.max(-1f, Math.min(1f, out[k]));
        }
        return out;
    }

    /** A method's images on the host: one (C, H, W) array per image, and (C, H, W). */
    public record Images(float[][] data, long[] shape) {
    }

    /** A method's images for these prompts and seeds, as Java arrays. */
    public static Images images(Method method, List<String> prompts, long[] seeds, NDManager m) {
        return generate(method, prompts, seeds, m);
    }

    /**
     * Images in chunks of 48 (memory), as Java arrays, clamped to [-1, 1]: every metric reads what the image shows,
     * so scores from a method and from its saved PNGs agree (up to 8-bit rounding).
     */
    static Images generate(Method method, List<String> prompts, long[] seeds, NDManager m) {
        List<float[]> out = new ArrayList<>();
        long[] shape = null;
        for (int from = 0; from < prompts.size(); from += 48) {
            int to = Math.min(prompts.size(), from + 48);
            try (NDManager sm = m.newSubManager()) {
                NDArray images = method.generate(prompts.subList(from, to), Arrays.copyOfRange(seeds, from, to), sm);
                long[] s = images.getShape().getShape();
                shape = Arrays.copyOfRange(s, 1, s.length);
                long per = images.getShape().size() / (to - from);
                float[] flat = images.toFloatArray();
                for (int k = 0; k < flat.length; k++) {
                    flat[k] = Math.max(-1f, Math.min(1f, flat[k]));
                }
                for (int i = 0; i < to - from; i++) {
                    out.add(Arrays.copyOfRange(flat, (int) (i * per), (int) ((i + 1) * per)));
                }
            }
        }
        return new Images(out.toArray(float[][]::new), shape);
    }

    /** Median wall time per image of one call at this batch size, after a warm-up call. */
    /** Median milliseconds per image of {@code method} at this batch size, after one untimed run. */
    public static double latencyMs(Method method, String prompt, int batch, int repeats, NDManager m) {
        List<String> prompts = Collections.nCopies(batch, prompt);
        long[] seeds = new long[batch];
        double[] times = new double[repeats];
        for (int r = -1; r < repeats; r++) {
            try (NDManager sm = m.newSubManager()) {
                long t0 = System.nanoTime();
                method.generate(prompts, seeds, sm).toFloatArray();
                if (r >= 0) {
                    times[r] = (System.nanoTime() - t0) / 1e6 / batch;
                }
            }
        }
        Arrays.sort(times);
        return times[repeats / 2];
    }

    /** The rows as a table (one row per method and prompt set; a column per metric the rows carry). */
    public static Table table(String title, List<Row> rows) {
        Table t = Table.create(title);
        t.addColumns(
                StringColumn.create("method", rows.stream().map(Row::method)),
                StringColumn.create("prompts", rows.stream().map(Row::prompts)),
                IntColumn.create("steps", rows.stream().mapToInt(Row::steps).toArray()),
                IntColumn.create("nfe", rows.stream().mapToInt(Row::nfe).toArray()),
                DoubleColumn.create("lora_scale", rows.stream().mapToDouble(Row::loraScale).toArray()),
                DoubleColumn.create("shift", rows.stream().mapToDouble(Row::shift).toArray()));
        List<String> names = new ArrayList<>();
        rows.forEach(r -> r.metrics().keySet().stream().filter(k -> !names.contains(k)).forEach(names::add));
        for (String n : names) {
            t.addColumns(DoubleColumn.create(n, rows.stream().mapToDouble(r -> round(r.metric(n), 3)).toArray()));
            intervalColumn(t, n, rows, 3);
        }
        t.addColumns(DoubleColumn.create(Row.PSNR, rows.stream().mapToDouble(r -> round(r.psnr(), 2)).toArray()));
        intervalColumn(t, Row.PSNR, rows, 2);
        t.addColumns(
                DoubleColumn.create("mse", rows.stream().mapToDouble(r -> round(r.mse(), 5)).toArray()),
                DoubleColumn.create("ms_per_image_b1", rows.stream().mapToDouble(r -> round(r.msPerImageBatch1(), 1)).toArray()),
                DoubleColumn.create("ms_per_image_b16", rows.stream().mapToDouble(r -> round(r.msPerImageBatch16(), 1)).toArray()));
        return t;
    }

    /** {@code name_95}: "[low, high]" per row, when any row carries an interval for it. */
    private static void intervalColumn(Table t, String name, List<Row> rows, int digits) {
        if (rows.stream().noneMatch(r -> r.estimate(name).hasInterval())) {
            return;
        }
        String f = "[%." + digits + "f, %." + digits + "f]";
        t.addColumns(StringColumn.create(name + "_95", rows.stream().map(r -> {
            Estimate e = r.estimate(name);
            return e.hasInterval() ? String.format(java.util.Locale.ROOT, f, e.low(), e.high()) : "";
        })));
    }

    /** Host images, one (C, H, W) array each, as one (B, C, H, W) array in {@code m} (for a metric's judge). */
    public static NDArray stack(float[][] images, long[] shape, NDManager m) {
        int per = org.flowlab.model.Shapes.size(shape);
        float[] flat = new float[images.length * per];
        for (int i = 0; i < images.length; i++) {
            System.arraycopy(images[i], 0, flat, i * per, per);
        }
        return org.flowlab.model.OwnedArrays.create(m, flat,
                new ai.djl.ndarray.types.Shape(org.flowlab.model.Shapes.batched(images.length, shape)));
    }

    /** A Markdown table (closing notes, README, models/README.md). */
    public static String markdown(Table t) {
        StringBuilder sb = new StringBuilder("|");
        for (String c : t.columnNames()) {
            sb.append(' ').append(c).append(" |");
        }
        sb.append("\n|");
        sb.append(" --- |".repeat(t.columnCount()));
        for (int r = 0; r < t.rowCount(); r++) {
            sb.append("\n|");
            for (int c = 0; c < t.columnCount(); c++) {
                sb.append(' ').append(t.column(c).getString(r)).append(" |");
            }
        }
        return sb.append('\n').toString();
    }

    private static double round(double v, int digits) {
        if (!Double.isFinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
