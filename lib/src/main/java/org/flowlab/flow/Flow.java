package org.flowlab.flow;

import ai.djl.ndarray.NDArray;

/** The rectified-flow formulas of SPEC-flow.md, one line each. x (B,C,H,W), sigma (B). */
public final class Flow {
    private Flow() {
    }

    /** {@code x_sigma = (1 - sigma) x0 + sigma noise}. */
    public static NDArray noised(NDArray x0, NDArray noise, NDArray sigma) {
        NDArray s = perSample(sigma, x0);
        return x0.mul(s.neg().add(1f)).add(noise.mul(s));
    }

    /** The velocity a model should predict: {@code v = noise - x0}. */
    public static NDArray velocityTarget(NDArray x0, NDArray noise) {
        return noise.sub(x0);
    }

    /** One Euler step: {@code x + (sigmaNext - sigma) v}. */
    public static NDArray eulerStep(NDArray x, NDArray v, double sigma, double sigmaNext) {
        return x.add(v.mul((float) (sigmaNext - sigma)));
    }

    /** Per-sample Euler step with step sizes {@code dt} (B): {@code x + dt v}. */
    public static NDArray eulerStep(NDArray x, NDArray v, NDArray dt) {
        return x.add(v.mul(perSample(dt, x)));
    }

    /** Per sample: {@code a} where {@code mask} (B, boolean) holds, else {@code b}. */
    public static NDArray where(NDArray mask, NDArray a, NDArray b) {
        return ai.djl.ndarray.NDArrays.where(perSample(mask, a).broadcast(a.getShape()), a, b);
    }

    /** (B) -> (B,1,1,...) so it broadcasts against {@code like}. */
    public static NDArray perSample(NDArray values, NDArray like) {
        long[] shape = new long[like.getShape().dimension()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = values.getShape().get(0);
        return values.reshape(shape);
    }

    /** Mean over everything but the batch axis: (B,...) -> (B). */
    public static NDArray perSampleMean(NDArray x) {
        // PyTorch's engine reduces over one axis at a time in DJL
        return x.reshape(x.getShape().get(0), -1).mean(new int[] {1});
    }
}
