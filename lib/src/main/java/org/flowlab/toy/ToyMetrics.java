package org.flowlab.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.eval.Bootstrap;
import org.flowlab.eval.Estimate;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.FrechetDistance;
import org.flowlab.eval.PromptMetrics;

/**
 * The toy world's metrics for {@link Evaluation}: prompt adherence (the fraction of the caption's attributes the
 * shipped classifier reads back, the CLIP-score analogue) and the Frechet distance of classifier features to real
 * renders of the same prompts (the FID analogue), on held-in and held-out prompt sets.
 */
public final class ToyMetrics implements PromptMetrics {
    public static final String ADHERENCE = "adherence";
    public static final String FRECHET = "frechet";

    private final AttributeClassifier classifier;
    private final int realPerPrompt;
    private final Map<String, double[][]> realFeatures = new LinkedHashMap<>();

    /** @param realPerPrompt real renders per prompt for the Frechet distance */
    public ToyMetrics(AttributeClassifier classifier, int realPerPrompt) {
        this.classifier = classifier;
        this.realPerPrompt = realPerPrompt;
    }

    public ToyMetrics(AttributeClassifier classifier) {
        this(classifier, Evaluation.Settings.standard().realPerPrompt());
    }

    @Override
    public Map<String, List<String>> promptSets(Evaluation.Settings s) {
        Map<String, List<String>> sets = new LinkedHashMap<>();
        sets.put("held-in", captions(ToyWorld.heldInPrompts(s.promptsPerSet(), s.promptSeed())));
        sets.put("held-out", captions(ToyWorld.heldOutPrompts(Math.min(s.promptsPerSet(), ToyShapes.heldOut().size()),
                s.promptSeed())));
        return sets;
    }

    private static List<String> captions(List<ShapeAttributes> attributes) {
        return attributes.stream().map(ShapeAttributes::caption).toList();
    }

    @Override
    public String setOf(String prompt) {
        return !Captions.isValid(prompt) ? "other" : ToyShapes.isHeldOut(Captions.parse(prompt)) ? "held-out" : "held-in";
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

    /**
     * Adherence and Frechet distance with 95% intervals over prompts: the prompts are resampled, and with them their
     * images and their real renders.
     */
    @Override
    public Map<String, Estimate> estimate(String set, List<String> prompts, float[][] images, long[] shape) {
        List<ShapeAttributes> truth = prompts.stream().map(Captions::parse).toList();
        List<ShapeAttributes> distinct = truth.stream().distinct().toList();
        double[][] real = realFeatures.computeIfAbsent(set + "/" + prompts.hashCode(), k -> realFeatures(distinct));
        int[] group = truth.stream().mapToInt(distinct::indexOf).toArray();
        try (NDManager m = classifier.manager().newSubManager()) {
            NDArray batch = Evaluation.stack(images, shape, m);
            int[][] predicted = classifier.predict(batch);
            double[][] features = classifier.featureRows(batch);
            double[] perPrompt = new double[distinct.size()];
            int[] count = new int[distinct.size()];
            for (int i = 0; i < predicted.length; i++) {
                perPrompt[group[i]] += adherence(new int[][] {predicted[i]}, List.of(truth.get(i)));
                count[group[i]]++;
            }
            for (int g = 0; g < perPrompt.length; g++) {
                perPrompt[g] /= count[g];
            }
            Map<String, Estimate> out = new LinkedHashMap<>();
            out.put(ADHERENCE, Bootstrap.mean(perPrompt, Bootstrap.RESAMPLES, 1));
            out.put(FRECHET, FrechetDistance.overPrompts(features, group, real, realPerPrompt));
            return out;
        }
    }

    /** Fraction of the prompted attributes the classifier reads back, averaged over images. */
    static double adherence(int[][] predicted, List<ShapeAttributes> truth) {
        double sum = 0;
        for (int i = 0; i < predicted.length; i++) {
            int[] t = truth.get(i).labels();
            int hits = 0;
            for (int k = 0; k < t.length; k++) {
                hits += predicted[i][k] == t[k] ? 1 : 0;
            }
            sum += hits / (double) t.length;
        }
        return sum / predicted.length;
    }

    private double[][] realFeatures(List<ShapeAttributes> prompts) {
        List<ToyShapes.Sample> real = new ArrayList<>();
        for (ShapeAttributes a : prompts) {
            for (int k = 0; k < realPerPrompt; k++) {
                real.add(ToyShapes.render(a, 1_000_000 + k));
            }
        }
        try (NDManager m = classifier.manager().newSubManager()) {
            return classifier.featureRows(ToyShapes.batch(real, m));
        }
    }

    /** Frechet distance of these images' features to real renders of the prompts. */
    public double frechetToReal(float[][] images, long[] shape, List<ShapeAttributes> prompts) {
        try (NDManager m = classifier.manager().newSubManager()) {
            return FrechetDistance.between(classifier.featureRows(Evaluation.stack(images, shape, m)), realFeatures(prompts));
        }
    }
}
