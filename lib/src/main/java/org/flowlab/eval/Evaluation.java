package org.flowlab.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.data.ShapeAttributes;
import org.flowlab.data.ToyShapes;
import org.flowlab.data.ToyWorld;
import org.flowlab.nn.Engines;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Measures methods the way the Glance and SCFM papers do, at toy scale, on held-in and held-out prompts:
 * prompt adherence (classifier), Frechet distance to real images of the same prompts, fidelity (PSNR/MSE) to the
 * reference method (the 32-step teacher) from the same noise, latency at batch 1 and 16, and NFE.
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

    /** One method on one prompt set. */
    public record Row(String method, String prompts, int steps, int nfe, double loraScale, double shift,
                      double adherence, double frechet, double psnr, double mse, double msPerImageBatch1,
                      double msPerImageBatch16) {
    }

    private Evaluation() {
    }

    /** The two prompt sets of an evaluation. */
    public static Map<String, List<ShapeAttributes>> promptSets(Settings s) {
        Map<String, List<ShapeAttributes>> sets = new LinkedHashMap<>();
        sets.put("held-in", ToyWorld.heldInPrompts(s.promptsPerSet(), s.promptSeed()));
        sets.put("held-out", ToyWorld.heldOutPrompts(Math.min(s.promptsPerSet(), ToyShapes.heldOut().size()), s.promptSeed()));
        return sets;
    }

    /**
     * @param reference the method fidelity is measured against (the 32-step teacher); it is also reported
     */
    public static List<Row> run(Method reference, List<Method> methods, AttributeClassifier classifier, Settings s,
                                ProgressListener listener) {
        Engines.prepareThread();
        List<Method> all = new ArrayList<>();
        all.add(reference);
        all.addAll(methods);
        List<Row> rows = new ArrayList<>();
        long start = System.nanoTime();
        int done = 0;
        int total = all.size() * 2;
        try (NDManager m = classifier.manager().newSubManager()) {
            Map<String, Double> latency1 = new LinkedHashMap<>();
            Map<String, Double> latency16 = new LinkedHashMap<>();
            for (Method method : all) {
                latency1.put(method.name(), latencyMs(method, 1, s.latencyRepeats(), m));
                latency16.put(method.name(), latencyMs(method, 16, s.latencyRepeats(), m));
            }
            for (Map.Entry<String, List<ShapeAttributes>> set : promptSets(s).entrySet()) {
                List<String> prompts = new ArrayList<>();
                List<Long> seeds = new ArrayList<>();
                List<ShapeAttributes> truth = new ArrayList<>();
                for (ShapeAttributes a : set.getValue()) {
                    for (int k = 0; k < s.seedsPerPrompt(); k++) {
                        prompts.add(a.caption());
                        seeds.add((long) k);
                        truth.add(a);
                    }
                }
                long[] seedArray = seeds.stream().mapToLong(Long::longValue).toArray();
                double[][] realFeatures = realFeatures(set.getValue(), s.realPerPrompt(), classifier, m);
                float[][] referenceImages = null;
                for (Method method : all) {
                    Interruption.check("before evaluating " + method.name());
                    float[][] images = generate(method, prompts, seedArray, m);
                    if (referenceImages == null) {
                        referenceImages = images;
                    }
                    rows.add(score(method, set.getKey(), images, referenceImages, truth, realFeatures, classifier, m,
                            latency1.get(method.name()), latency16.get(method.name())));
                    done++;
                    ProgressListener.notify(listener, new Progress("evaluate", done, total,
                            (System.nanoTime() - start) / 1e9, Map.of("adherence", rows.get(rows.size() - 1).adherence()),
                            null));
                }
            }
        }
        return rows;
    }

    private static Row score(Method method, String set, float[][] images, float[][] reference,
                             List<ShapeAttributes> truth, double[][] realFeatures, AttributeClassifier classifier,
                             NDManager m, double ms1, double ms16) {
        double adherence = adherence(images, truth, classifier, m);
        double frechet = FrechetDistance.between(features(images, classifier, m), realFeatures);
        double mse = 0;
        for (int i = 0; i < images.length; i++) {
            mse += ImageMetrics.mse(images[i], reference[i]) / images.length;
        }
        double psnr = mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(4 / mse);
        return new Row(method.name(), set, method.steps(), method.nfe(), method.loraScale(), method.shift(), adherence,
                frechet, psnr, mse, ms1, ms16);
    }

    /** Fraction of the prompted attributes the classifier reads back, averaged over images. */
    public static double adherence(float[][] images, List<ShapeAttributes> truth, AttributeClassifier classifier,
                                   NDManager m) {
        int[][] predicted = predict(images, classifier, m);
        double sum = 0;
        for (int i = 0; i < images.length; i++) {
            int[] t = truth.get(i).labels();
            int hits = 0;
            for (int k = 0; k < t.length; k++) {
                hits += predicted[i][k] == t[k] ? 1 : 0;
            }
            sum += hits / (double) t.length;
        }
        return sum / images.length;
    }

    static int[][] predict(float[][] images, AttributeClassifier classifier, NDManager m) {
        try (NDManager sm = m.newSubManager()) {
            return classifier.predict(stack(images, sm));
        }
    }

    static double[][] features(float[][] images, AttributeClassifier classifier, NDManager m) {
        try (NDManager sm = m.newSubManager()) {
            return classifier.featureRows(stack(images, sm));
        }
    }

    static double[][] realFeatures(List<ShapeAttributes> prompts, int perPrompt, AttributeClassifier classifier,
                                   NDManager m) {
        List<ToyShapes.Sample> real = new ArrayList<>();
        for (ShapeAttributes a : prompts) {
            for (int k = 0; k < perPrompt; k++) {
                real.add(ToyShapes.render(a, 1_000_000 + k));
            }
        }
        try (NDManager sm = m.newSubManager()) {
            return classifier.featureRows(ToyShapes.batch(real, sm));
        }
    }

    /** Frechet distance of these images' features to real renders of the prompts (4 per prompt). */
    public static double frechetToReal(float[][] images, List<ShapeAttributes> prompts, AttributeClassifier classifier,
                                       NDManager m) {
        int per = Math.max(4, (images.length + prompts.size() - 1) / prompts.size());
        return FrechetDistance.between(features(images, classifier, m), realFeatures(prompts, per, classifier, m));
    }

    /** A method's images for these prompts and seeds, as Java arrays. */
    public static float[][] images(Method method, List<String> prompts, long[] seeds, NDManager m) {
        return generate(method, prompts, seeds, m);
    }

    /**
     * Images in chunks of 48 (memory), as Java arrays, clamped to [-1, 1]: every metric reads what the image shows,
     * so scores from a method and from its saved PNGs agree (up to 8-bit rounding).
     */
    static float[][] generate(Method method, List<String> prompts, long[] seeds, NDManager m) {
        List<float[]> out = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += 48) {
            int to = Math.min(prompts.size(), from + 48);
            try (NDManager sm = m.newSubManager()) {
                NDArray images = method.generate(prompts.subList(from, to), Arrays.copyOfRange(seeds, from, to), sm);
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
        return out.toArray(float[][]::new);
    }

    static NDArray stack(float[][] images, NDManager m) {
        List<NDArray> parts = new ArrayList<>();
        for (float[] img : images) {
            parts.add(org.flowlab.nn.OwnedArrays.create(m, img,
                    new ai.djl.ndarray.types.Shape(1, ToyShapes.CHANNELS, ToyShapes.SIZE, ToyShapes.SIZE)));
        }
        return NDArrays.concat(new NDList(parts));
    }

    /** Median wall time per image of one call at this batch size, after a warm-up call. */
    static double latencyMs(Method method, int batch, int repeats, NDManager m) {
        List<String> prompts = Collections.nCopies(batch, ToyShapes.heldIn().get(0).caption());
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

    /** The rows as a table (one row per method and prompt set). */
    public static Table table(String title, List<Row> rows) {
        Table t = Table.create(title);
        t.addColumns(
                StringColumn.create("method", rows.stream().map(Row::method)),
                StringColumn.create("prompts", rows.stream().map(Row::prompts)),
                IntColumn.create("steps", rows.stream().mapToInt(Row::steps).toArray()),
                IntColumn.create("nfe", rows.stream().mapToInt(Row::nfe).toArray()),
                DoubleColumn.create("lora_scale", rows.stream().mapToDouble(Row::loraScale).toArray()),
                DoubleColumn.create("shift", rows.stream().mapToDouble(Row::shift).toArray()),
                DoubleColumn.create("adherence", rows.stream().mapToDouble(r -> round(r.adherence(), 3)).toArray()),
                DoubleColumn.create("frechet", rows.stream().mapToDouble(r -> round(r.frechet(), 3)).toArray()),
                DoubleColumn.create("psnr_db", rows.stream().mapToDouble(r -> round(r.psnr(), 2)).toArray()),
                DoubleColumn.create("mse", rows.stream().mapToDouble(r -> round(r.mse(), 5)).toArray()),
                DoubleColumn.create("ms_per_image_b1", rows.stream().mapToDouble(r -> round(r.msPerImageBatch1(), 1)).toArray()),
                DoubleColumn.create("ms_per_image_b16", rows.stream().mapToDouble(r -> round(r.msPerImageBatch16(), 1)).toArray()));
        return t;
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
