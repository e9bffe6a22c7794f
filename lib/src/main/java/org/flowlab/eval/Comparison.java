package org.flowlab.eval;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.model.Engines;
import org.flowlab.model.Shapes;
import org.flowlab.viz.ImageGrid;
import tech.tablesaw.api.Table;

/**
 * Methods x prompts x seeds, side by side, for a notebook: every method samples every (prompt, seed) from the same
 * noise of that seed; {@link #grid()} draws them and {@link #table(PromptMetrics)} measures the same samples
 * (fidelity to the first method, which is the reference).
 *
 * <pre>{@code Comparison.of(Methods.teacher(model, 32), Methods.teacher(model, 3), Methods.scfm(model, 3, 3.0, 1.0))
 *     .prompts("a red circle", "a small cyan triangle on a black background").seeds(0, 1, 2, 3)
 *     .grid();}</pre>
 */
public final class Comparison {
    private final List<Method> methods;
    private final List<String> prompts;
    private final long[] seeds;
    private Map<String, Evaluation.Images> samples; // by method, (prompt, seed) order; made once

    private Comparison(List<Method> methods, List<String> prompts, long[] seeds) {
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("a comparison needs at least one method");
        }
        this.methods = List.copyOf(methods);
        this.prompts = List.copyOf(prompts);
        this.seeds = seeds.clone();
    }

    /** The methods, the first one the reference; then choose prompts and seeds (default: seeds 0-3). */
    public static Comparison of(Method... methods) {
        return new Comparison(List.of(methods), List.of(), new long[] {0, 1, 2, 3});
    }

    public static Comparison of(List<Method> methods) {
        return new Comparison(methods, List.of(), new long[] {0, 1, 2, 3});
    }

    public Comparison prompts(String... newPrompts) {
        return prompts(List.of(newPrompts));
    }

    public Comparison prompts(List<String> newPrompts) {
        return new Comparison(methods, newPrompts, seeds);
    }

    public Comparison seeds(long... newSeeds) {
        if (newSeeds.length == 0) {
            throw new IllegalArgumentException("a comparison needs at least one seed");
        }
        return new Comparison(methods, prompts, newSeeds);
    }

    /** The samples of one method: one (C, H, W) array per (prompt, seed), prompt-major. */
    public Evaluation.Images samples(Method method) {
        return samples().get(method.name());
    }

    private synchronized Map<String, Evaluation.Images> samples() {
        if (samples == null) {
            if (prompts.isEmpty()) {
                throw new IllegalStateException("no prompts: call prompts(...) first");
            }
            List<String> all = new ArrayList<>();
            List<Long> allSeeds = new ArrayList<>();
            for (String p : prompts) {
                for (long s : seeds) {
                    all.add(p);
                    allSeeds.add(s);
                }
            }
            long[] seedArray = allSeeds.stream().mapToLong(Long::longValue).toArray();
            Map<String, Evaluation.Images> out = new LinkedHashMap<>();
            try (NDManager m = Engines.get().newBaseManager()) {
                for (Method method : methods) {
                    if (out.containsKey(method.name())) {
                        throw new IllegalArgumentException("two methods are named '" + method.name() + "'");
                    }
                    out.put(method.name(), Evaluation.generate(method, all, seedArray, m));
                }
            }
            samples = out;
        }
        return samples;
    }

    /** One row per (prompt, method), one column per seed, each tile captioned with its method; the prompts as title. */
    public ImageGrid grid() {
        Map<String, Evaluation.Images> s = samples();
        long[] shape = s.values().iterator().next().shape();
        int per = Shapes.size(shape);
        int tiles = prompts.size() * methods.size() * seeds.length;
        float[] flat = new float[tiles * per];
        List<String> captions = new ArrayList<>();
        int t = 0;
        for (int p = 0; p < prompts.size(); p++) {
            for (Method method : methods) {
                float[][] images = s.get(method.name()).data();
                for (int k = 0; k < seeds.length; k++) {
                    System.arraycopy(images[p * seeds.length + k], 0, flat, t++ * per, per);
                    captions.add(method.name());
                }
            }
        }
        return ImageGrid.of(flat, Shapes.batched(tiles, shape)).captions(captions).columns(seeds.length)
                .title(String.join(" | ", prompts));
    }

    /**
     * The same samples measured: the metrics on all prompts together, fidelity (PSNR, MSE) to the first method from
     * the same noise, steps and NFE.
     */
    public Table table(PromptMetrics metrics) {
        Map<String, Evaluation.Images> s = samples();
        List<String> all = new ArrayList<>();
        for (String p : prompts) {
            for (int k = 0; k < seeds.length; k++) {
                all.add(p);
            }
        }
        Evaluation.Images reference = s.get(methods.get(0).name());
        List<Evaluation.Row> rows = new ArrayList<>();
        for (Method method : methods) {
            Evaluation.Images images = s.get(method.name());
            double mse = 0;
            for (int i = 0; i < images.data().length; i++) {
                mse += ImageMetrics.mse(images.data()[i], reference.data()[i]) / images.data().length;
            }
            rows.add(new Evaluation.Row(method.name(), prompts.size() + " prompts x " + seeds.length + " seeds",
                    method.steps(), method.nfe(), method.loraScale(), method.shift(),
                    metrics.score("comparison", all, images.data(), images.shape()),
                    mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(4 / mse), mse, Double.NaN, Double.NaN));
        }
        Table t = Evaluation.table("comparison (fidelity to " + methods.get(0).name() + ")", rows);
        return t.removeColumns("ms_per_image_b1", "ms_per_image_b16");
    }

    /** The table without model-specific metrics: steps, NFE and fidelity to the first method. */
    public Table table() {
        return table(PromptMetrics.none(Map.of()));
    }

    @Override
    public String toString() {
        return "Comparison of " + methods.stream().map(Method::name).toList() + " on " + prompts.size() + " prompts x "
                + seeds.length + " seeds";
    }
}
