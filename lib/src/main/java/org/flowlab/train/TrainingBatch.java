package org.flowlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Clean images (latents) and their captions for one step.
 *
 * @param x0 (B,C,H,W) in [-1, 1]
 * @param prompts one caption per image
 */
public record TrainingBatch(NDArray x0, List<String> prompts) {

    public TrainingBatch {
        prompts = List.copyOf(prompts);
        if (x0.getShape().get(0) != prompts.size()) {
            throw new IllegalArgumentException(x0.getShape().get(0) + " images but " + prompts.size() + " prompts");
        }
    }

    /** Where a trainer gets its batches: deterministic in (step, rng), arrays created in {@code manager}. */
    @FunctionalInterface
    public interface Source {
        TrainingBatch batch(long step, int size, SplittableRandom rng, NDManager manager);
    }
}
