package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * Tensor ops that are safe under autograd. DJL's {@code NDArray.mul(Number)} (and {@code Activation.swish}, which
 * uses it) wraps the scalar in a {@code from_blob} tensor over a direct ByteBuffer and closes it right away; autograd
 * keeps that tensor for the backward pass, the garbage collector frees the buffer, and the backward pass reads freed
 * memory (NaN or infinite gradients a few steps in, depending on GC timing). Here the scalar is a tensor libtorch
 * allocates itself, which autograd's reference keeps alive.
 */
public final class Ops {
    private Ops() {
    }

    /** {@code x * factor}, differentiable in x. */
    public static NDArray scale(NDArray x, double factor) {
        return x.mul(x.getManager().full(new Shape(), (float) factor));
    }

    /** SiLU: {@code x * sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }
}
