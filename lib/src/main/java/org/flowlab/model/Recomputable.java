package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;

/**
 * A {@link FlowModel} that can train with block-wise recomputation (gradient checkpointing): a pass without a graph
 * keeps only block inputs, then each block is re-run with a graph in reverse order and back-propagated with the
 * gradient arriving at its output. Gradients equal the plain backward pass; memory holds one block's graph instead
 * of all of them, for one extra forward. DJL has no checkpointing of its own; without it Flux-dev LoRA training does
 * not fit one GPU (docs/GPU-PLAN.md).
 */
public interface Recomputable {

    /** Whether training steps recompute (off by default). */
    boolean recomputes();

    void setRecompute(boolean on);

    /**
     * {@code loss(velocity(latents, sigma, c))} and the gradients of every trainable parameter, accumulated as a
     * backward pass would. Called outside any GradientCollector; returns the loss value.
     */
    float lossAndGradients(NDArray latents, NDArray sigma, Conditioning c, UnaryOperator<NDArray> loss);
}
