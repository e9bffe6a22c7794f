package org.flowlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.io.Tensor;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Parameter;

/**
 * AdamW as PyTorch runs it: {@code p *= 1 - lr wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}, after clipping the global gradient norm. Its moments are
 * plain named arrays, so checkpoints carry them.
 */
public final class AdamW implements AutoCloseable {
    private final List<Parameter> parameters;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private volatile OptimizerConfig config;
    private long t;

    public AdamW(List<Parameter> parameters, OptimizerConfig config, NDManager parent) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("nothing to train: the parameter list is empty");
        }
        this.parameters = List.copyOf(parameters);
        this.config = config;
        this.manager = parent.newSubManager();
        // created up front, outside any step scope (a scope would free them)
        for (Parameter p : parameters) {
            m.put(p.name(), manager.zeros(p.shape()));
            v.put(p.name(), manager.zeros(p.shape()));
        }
    }

    public OptimizerConfig config() {
        return config;
    }

    /** A new configuration takes effect at the next step (live LR changes). */
    public void setConfig(OptimizerConfig newConfig) {
        this.config = newConfig;
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    /** Steps applied so far (Adam's t). */
    public long steps() {
        return t;
    }

    /** Clears the accumulated gradients (they add up across collectors until cleared). */
    public void zeroGradients() {
        for (Parameter p : parameters) {
            if (p.array().hasGradient()) {
                JniUtils.zeroGrad((PtNDArray) p.array());
            }
        }
    }

    /**
     * The global L2 norm of the current gradients: per-parameter norms (which libtorch computes without overflow)
     * combined in double, so a huge but finite gradient is clipped rather than mistaken for infinity.
     */
    public double gradientNorm() {
        double sum = 0;
        try (NDScope scope = new NDScope()) {
            for (Parameter p : parameters) {
                double n = p.array().getGradient().norm().getFloat();
                sum += n * n;
            }
            scope.suppressNotUsedWarning();
        }
        return Math.sqrt(sum);
    }

    /**
     * Clips and applies one update at learning rate {@code lr}.
     *
     * @return the gradient norm before clipping
     * @throws NonFiniteException if the gradient norm is NaN or infinite (nothing is applied)
     */
    public double step(double lr) {
        double norm = gradientNorm();
        if (!Double.isFinite(norm)) {
            throw new NonFiniteException("gradient norm is " + norm + " at optimizer step " + (t + 1) + "; nothing was applied");
        }
        OptimizerConfig c = config;
        double clipScale = c.gradClip() > 0 && norm > c.gradClip() ? c.gradClip() / (norm + 1e-6) : 1.0;
        t++;
        double bc1 = 1 - Math.pow(c.beta1(), t);
        double bc2 = 1 - Math.pow(c.beta2(), t);
        float stepSize = (float) (lr / bc1);
        float sqrtBc2 = (float) Math.sqrt(bc2);
        try (NoGrad ng = NoGrad.enter(); NDScope scope = new NDScope()) {
            for (Parameter p : parameters) {
                NDArray g = p.array().getGradient();
                if (clipScale != 1.0) {
                    g = g.mul((float) clipScale);
                }
                NDArray mi = m.get(p.name());
                NDArray vi = v.get(p.name());
                mi.muli((float) c.beta1()).addi(g.mul((float) (1 - c.beta1())));
                vi.muli((float) c.beta2()).addi(g.square().mul((float) (1 - c.beta2())));
                if (c.weightDecay() > 0) {
                    p.array().muli((float) (1 - lr * c.weightDecay()));
                }
                NDArray denom = vi.sqrt().div(sqrtBc2).add((float) c.eps());
                p.array().subi(mi.div(denom).mul(stepSize));
            }
            scope.suppressNotUsedWarning();
        }
        return norm;
    }

    /** Moments by {@code adam.m.<name>} / {@code adam.v.<name>}. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, a) -> out.put("adam.m." + k, Tensor.of(a)));
        v.forEach((k, a) -> out.put("adam.v." + k, Tensor.of(a)));
        return out;
    }

    public Map<String, long[]> stateShapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        m.forEach((k, a) -> out.put("adam.m." + k, a.getShape().getShape()));
        v.forEach((k, a) -> out.put("adam.v." + k, a.getShape().getShape()));
        return out;
    }

    public void restore(Map<String, Tensor> state, long steps) {
        try (NoGrad ng = NoGrad.enter(); NDManager tmp = manager.newSubManager()) {
            m.forEach((k, a) -> a.set(new ai.djl.ndarray.index.NDIndex("..."), state.get("adam.m." + k).toNDArray(tmp)));
            v.forEach((k, a) -> a.set(new ai.djl.ndarray.index.NDIndex("..."), state.get("adam.v." + k).toNDArray(tmp)));
        }
        t = steps;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** A NaN or infinite loss or gradient: the run stops before anything is applied. */
    public static final class NonFiniteException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NonFiniteException(String message) {
            super(message);
        }
    }
}
