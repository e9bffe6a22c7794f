package org.flowlab.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model-specific half of an evaluation: which prompt sets it runs on, and what it measures of generated images
 * besides fidelity and latency (which {@link Evaluation} measures for every model). The toy world reads attributes
 * with its classifier (adherence, the CLIP-score analogue) and compares classifier features with real renders
 * (Frechet distance, the FID analogue).
 */
public interface PromptMetrics {

    /** Named prompt sets ("held-in", "held-out"), the same on every call with these settings. */
    Map<String, List<String>> promptSets(Evaluation.Settings settings);

    /** The metrics' column names, in table order. */
    List<String> names();

    /**
     * Scores the images of one prompt set.
     *
     * @param set the set's name (an implementation may cache per set, e.g. real-image features)
     * @param prompts one per image
     * @param images pixels, clamped to [-1, 1], one (C, H, W) array per prompt
     * @param shape (C, H, W)
     * @return a value for each of {@link #names()}
     */
    Map<String, Double> score(String set, List<String> prompts, float[][] images, long[] shape);

    /**
     * The same values with their 95% bootstrap intervals over prompts (see {@link Bootstrap}); metrics that cannot
     * resample return points.
     */
    default Map<String, Estimate> estimate(String set, List<String> prompts, float[][] images, long[] shape) {
        Map<String, Estimate> out = new LinkedHashMap<>();
        score(set, prompts, images, shape).forEach((k, v) -> out.put(k, Estimate.point(v)));
        return out;
    }

    /**
     * Which set a prompt belongs to, for scoring images made elsewhere ({@code flowlab eval}); a prompt these metrics
     * cannot read goes to {@code "other"} and is scored on fidelity only.
     */
    default String setOf(String prompt) {
        return "all";
    }

    /** No model-specific metrics: fidelity and latency only, on the given prompt sets. */
    static PromptMetrics none(Map<String, List<String>> sets) {
        Map<String, List<String>> copy = new LinkedHashMap<>(sets);
        return new PromptMetrics() {
            @Override
            public Map<String, List<String>> promptSets(Evaluation.Settings settings) {
                Map<String, List<String>> out = new LinkedHashMap<>();
                copy.forEach((k, v) -> out.put(k, v.subList(0, Math.min(v.size(), settings.promptsPerSet()))));
                return out;
            }

            @Override
            public List<String> names() {
                return List.of();
            }

            @Override
            public Map<String, Double> score(String set, List<String> prompts, float[][] images, long[] shape) {
                return Map.of();
            }
        };
    }
}
