package org.flowlab.toy.scenes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flowlab.eval.Bootstrap;
import org.flowlab.eval.Estimate;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.FrechetDistance;
import org.flowlab.eval.PromptMetrics;
import org.flowlab.toy.ShapeAttributes;
import org.flowlab.toy.scenes.SceneSpec.ObjectSpec;

/**
 * The second world's metrics for {@link Evaluation}: adherence to what each caption names (read by the
 * {@link SceneClassifier}) and the Frechet distance of its features to real scenes of the same captions, each with
 * a 95% interval over prompts. A short caption's real scenes spread over its free attributes, so a method that
 * collapses them (the blur of few Euler steps, or one mode) shows in the Frechet distance while adherence stays.
 */
public final class SceneMetrics implements PromptMetrics {
    public static final String ADHERENCE = "adherence";
    public static final String FRECHET = "frechet";

    private final SceneClassifier classifier;
    private final int realPerPrompt;
    private final Map<String, double[][]> realFeatures = new LinkedHashMap<>();

    /** @param realPerPrompt real scenes per prompt for the Frechet distance */
    public SceneMetrics(SceneClassifier classifier, int realPerPrompt) {
        this.classifier = classifier;
        this.realPerPrompt = realPerPrompt;
    }

    /** {@code n} training-distribution captions (short and full), none naming a held-out pair. */
    public static List<String> heldInPrompts(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 31 + 7);
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            SceneSpec s = Scenes.trainingSpec(rng);
            if (!Scenes.isHeldOut(s) && s.named() > 0 && !out.contains(s.caption())) {
                out.add(s.caption());
            }
        }
        return out;
    }

    /** {@code n} captions whose first object names a held-out colour-shape pair (the rest as in training). */
    public static List<String> heldOutPrompts(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 31 + 11);
        List<List<Enum<?>>> pairs = new ArrayList<>(Scenes.HELD_OUT_PAIRS);
        pairs.sort(java.util.Comparator.comparing(Object::toString));
        List<String> out = new ArrayList<>();
        int guard = 0;
        while (out.size() < n && guard++ < 100 * n) {
            SceneSpec s = Scenes.trainingSpec(rng);
            List<Enum<?>> pair = pairs.get(rng.nextInt(pairs.size()));
            ObjectSpec o = s.objects().get(0);
            List<ObjectSpec> objects = new ArrayList<>(s.objects());
            objects.set(0, new ObjectSpec(o.size(), (ShapeAttributes.Colour) pair.get(0), o.texture(),
                    (ShapeAttributes.Shape) pair.get(1), o.position(), o.rotation()));
            String caption = new SceneSpec(objects, s.background()).caption();
            if (!out.contains(caption)) {
                out.add(caption);
            }
        }
        return out;
    }

    @Override
    public Map<String, List<String>> promptSets(Evaluation.Settings s) {
        Map<String, List<String>> sets = new LinkedHashMap<>();
        sets.put("held-in", heldInPrompts(s.promptsPerSet(), s.promptSeed()));
        sets.put("held-out", heldOutPrompts(s.promptsPerSet(), s.promptSeed()));
        return sets;
    }

    @Override
    public String setOf(String prompt) {
        return !SceneCaptions.isValid(prompt) ? "other" : Scenes.isHeldOut(SceneCaptions.parse(prompt)) ? "held-out"
                : "held-in";
    }

    @Override
    public List<String> names() {
        return List.of(ADHERENCE, FRECHET);
    }

    @Override
    public Map<String, Double> score(String set, List<String> prompts, float[][] images, long[] shape) {
        Map<String, Double> out = new LinkedHashMap<>();
        estimate(set, prompts, images, shape).forEach((k, v) -> out.put(k, v.value()));
        return out;
    }

    @Override
    public Map<String, Estimate> estimate(String set, List<String> prompts, float[][] images, long[] shape) {
        List<String> distinct = prompts.stream().distinct().toList();
        int[] group = prompts.stream().mapToInt(distinct::indexOf).toArray();
        double[][] real = realFeatures.computeIfAbsent(set + "/" + distinct.hashCode(), k -> realFeatures(distinct));
        try (NDManager m = classifier.manager().newSubManager()) {
            NDArray batch = Evaluation.stack(images, shape, m);
            List<SceneClassifier.Reading> read = classifier.read(batch);
            double[][] features = classifier.featureRows(batch);
            double[] perPrompt = new double[distinct.size()];
            int[] count = new int[distinct.size()];
            for (int i = 0; i < images.length; i++) {
                double a = SceneClassifier.adherence(SceneCaptions.parse(prompts.get(i)), read.get(i));
                if (!Double.isNaN(a)) {
                    perPrompt[group[i]] += a;
                    count[group[i]]++;
                }
            }
            List<Double> scored = new ArrayList<>();
            for (int g = 0; g < perPrompt.length; g++) {
                if (count[g] > 0) {
                    scored.add(perPrompt[g] / count[g]);
                }
            }
            Map<String, Estimate> out = new LinkedHashMap<>();
            out.put(ADHERENCE, scored.isEmpty() ? Estimate.point(Double.NaN)
                    : Bootstrap.mean(scored.stream().mapToDouble(Double::doubleValue).toArray(), Bootstrap.RESAMPLES, 1));
            out.put(FRECHET, FrechetDistance.overPrompts(features, group, real, realPerPrompt));
            return out;
        }
    }

    /**
     * How much of a scene survives a codec's round trip: PSNR (peak-to-peak 2, pixels in [-1, 1]) and the judge's
     * adherence on the originals and on their reconstructions, over {@code n} fresh training-distribution scenes.
     * A teacher on the codec's latents cannot adhere better than its reconstructions read.
     */
    public record CodecFidelity(int scenes, double psnrDb, double adherenceOriginal, double adherenceReconstructed) {
    }

    public static CodecFidelity codecFidelity(org.flowlab.model.LatentCodec codec, SceneClassifier judge, int n,
                                              long seed) {
        double squared = 0;
        double original = 0;
        double reconstructed = 0;
        int scored = 0;
        try (NDManager m = judge.manager().newSubManager(); org.flowlab.model.NoGrad ng = org.flowlab.model.NoGrad.enter()) {
            for (int from = 0; from < n; from += 64) {
                List<Scenes.Sample> chunk = new ArrayList<>();
                for (int i = from; i < Math.min(n, from + 64); i++) {
                    chunk.add(Scenes.sample(30_000_000L + i, seed));
                }
                try (NDManager step = m.newSubManager()) {
                    NDArray x = Scenes.batch(chunk, step);
                    NDArray y = codec.decode(codec.encode(x)).clip(-1, 1);
                    squared += x.sub(y).square().sum().getFloat();
                    List<SceneClassifier.Reading> a = judge.read(x);
                    List<SceneClassifier.Reading> b = judge.read(y);
                    for (int i = 0; i < chunk.size(); i++) {
                        double ao = SceneClassifier.adherence(chunk.get(i).spec(), a.get(i));
                        if (!Double.isNaN(ao)) { // a caption that names nothing scores nothing
                            original += ao;
                            reconstructed += SceneClassifier.adherence(chunk.get(i).spec(), b.get(i));
                            scored++;
                        }
                    }
                }
            }
        }
        double mse = squared / ((double) n * Scenes.CHANNELS * Scenes.SIZE * Scenes.SIZE);
        return new CodecFidelity(n, 10 * Math.log10(4 / mse), original / scored, reconstructed / scored);
    }

    /** Real scenes of each prompt (seeds no method samples with), their features in prompt order. */
    private double[][] realFeatures(List<String> prompts) {
        List<Scenes.Sample> real = new ArrayList<>();
        for (String p : prompts) {
            SceneSpec spec = SceneCaptions.parse(p);
            for (int k = 0; k < realPerPrompt; k++) {
                real.add(Scenes.render(spec, 1_000_000 + k));
            }
        }
        double[][] out = new double[real.size()][];
        try (NDManager m = classifier.manager().newSubManager()) {
            for (int from = 0; from < real.size(); from += 256) {
                List<Scenes.Sample> chunk = real.subList(from, Math.min(real.size(), from + 256));
                double[][] f = classifier.featureRows(Scenes.batch(chunk, m));
                System.arraycopy(f, 0, out, from, f.length);
            }
        }
        return out;
    }
}
