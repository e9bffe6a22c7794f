package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * {@code y = x W^T + b} with a diffusers-style dotted name ({@code blocks.0.attn.to_q}) and room for one additive
 * branch: the hook LoRA uses ({@code y += branch(x)}) without the network knowing anything about LoRA.
 */
public final class LinearLayer {

    /** An additive term computed from the layer's input; returns null when it contributes nothing this call. */
    @FunctionalInterface
    public interface Branch {
        NDArray apply(LinearLayer layer, NDArray x);
    }

    private final String name;
    private final Parameter weight; // (out, in)
    private final Parameter bias;   // (out) or null
    private volatile Branch branch;

    LinearLayer(String name, Parameter weight, Parameter bias) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
    }

    public String name() {
        return name;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public long inFeatures() {
        return weight.shape().get(1);
    }

    public long outFeatures() {
        return weight.shape().get(0);
    }

    public void setBranch(Branch branch) {
        this.branch = branch;
    }

    public Branch branch() {
        return branch;
    }

    /** x (..., in) -> (..., out). */
    public NDArray forward(NDArray x) {
        NDArray y = bias == null
                ? Linear.linear(x, weight.array()).singletonOrThrow()
                : Linear.linear(x, weight.array(), bias.array()).singletonOrThrow();
        Branch b = branch;
        if (b != null) {
            NDArray delta = b.apply(this, x);
            if (delta != null) {
                y = y.add(delta);
            }
        }
        return y;
    }

    @Override
    public String toString() {
        return name + " (" + inFeatures() + " -> " + outFeatures() + ")";
    }
}
