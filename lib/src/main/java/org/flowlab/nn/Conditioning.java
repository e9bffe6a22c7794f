package org.flowlab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import java.util.List;

/**
 * What a velocity model is conditioned on besides (x, sigma).
 *
 * @param prompts the texts, one per sample (kept for traces and displays)
 * @param tokens (B, L) int32 token ids
 * @param guidance (B) guidance-embedding values for models that take one (Flux-style), else null
 */
public record Conditioning(List<String> prompts, NDArray tokens, NDArray guidance) {

    public Conditioning {
        prompts = List.copyOf(prompts);
        if (tokens.getShape().get(0) != prompts.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + tokens.getShape().get(0) + " token rows");
        }
    }

    public int batchSize() {
        return prompts.size();
    }

    /** This batch followed by another (classifier-free guidance runs conditional and unconditional together). */
    public Conditioning concat(Conditioning other) {
        List<String> p = new java.util.ArrayList<>(prompts);
        p.addAll(other.prompts);
        NDArray g = guidance == null || other.guidance == null ? null : NDArrays.concat(new ai.djl.ndarray.NDList(guidance, other.guidance));
        return new Conditioning(p, NDArrays.concat(new ai.djl.ndarray.NDList(tokens, other.tokens)), g);
    }
}
