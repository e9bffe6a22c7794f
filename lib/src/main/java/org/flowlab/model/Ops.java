package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * Tensor ops that are safe under autograd. DJL's {@code NDArray.mul(Number)} (and {@code Activation.swish}, which
 * uses it) wraps the scalar in a {@code from_blob} tensor over a direct ByteBuffer and closes it right away; autograd
 * keeps that tensor for the backward pass, the garbage collector frees the buffer, and the backward pass reads freed
 * memory (NaN or infinite gradients a few steps in, depending on GC timing). Here the scalar is a tensor libtorch
 * allocates itself, which autograd's reference keeps alive.
 * <p>
 * DJL's {@code NDArray.toType} runs libtorch's {@code to(dtype)} under a {@code NoGradGuard}: the result is cut off the
 * graph, so a cast inside a forward pass (fp32 norms and LoRA branches in an fp16 model) silently stops every gradient
 * before it. {@link #cast} keeps the graph.
 */
public final class Ops {
    private Ops() {
    }

    /** {@code x * factor}, differentiable in x. */
    public static NDArray scale(NDArray x, double factor) {
        return x.mul(x.getManager().full(new Shape(), (float) factor));
    }

    /**
     * x as {@code type}, differentiable: a cumulative product over a new axis of length 1 is the identity, and libtorch
     * computes it in the dtype asked for without leaving autograd (unlike {@code toType}).
     */
    public static NDArray cast(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        return x.expandDims(0).cumProd(0, type).squeeze(0);
    }

    /** SiLU: {@code x * sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }
}
