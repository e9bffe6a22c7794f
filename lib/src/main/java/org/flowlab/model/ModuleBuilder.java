package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Creates a network's parameters with dotted names: initialised from one seed in plain Java (so the same seed gives
 * the same weights on every machine and device), or read from a checkpoint ({@link Weights}) by the same code that
 * declares them, so a model class is written once for both.
 */
public final class ModuleBuilder {
    /** Where parameters come from instead of an initialiser: a checkpoint, by state_dict name. */
    @FunctionalInterface
    public interface Weights {
        /** The tensor {@code name}, which must have {@code shape}; the error names the key and both shapes. */
        NDArray load(String name, Shape shape, NDManager manager);
    }

    private final NDManager manager;
    private final SplittableRandom rng;
    private final Weights weights;
    private final NamedParameters parameters = new NamedParameters();
    private final Map<String, LinearLayer> linears = new LinkedHashMap<>();

    public ModuleBuilder(NDManager manager, long seed) {
        this(manager, new SplittableRandom(seed));
    }

    private ModuleBuilder(NDManager manager, SplittableRandom rng) {
        this.manager = manager;
        this.rng = rng;
        this.weights = null;
    }

    /** A builder that reads every parameter from {@code weights} (initialisers are ignored). */
    public ModuleBuilder(NDManager manager, Weights weights) {
        this.manager = manager;
        this.rng = null;
        this.weights = weights;
    }

    /**
     * A builder for the next component of the same model: its own manager and names, the same random stream, so
     * the components of a model built one after another get the weights one builder would have given them.
     */
    public ModuleBuilder next(NDManager nextManager) {
        return weights != null ? new ModuleBuilder(nextManager, weights) : new ModuleBuilder(nextManager, rng);
    }

    /** How a weight starts. */
    public enum Init {
        /** Xavier/Glorot uniform: the transformer default. */
        XAVIER,
        /** N(0, 0.02): embeddings and the timestep MLP, as in DiT. */
        NORMAL_002,
        /** All zeros: adaLN-Zero modulation and the final projection, so each block starts as the identity. */
        ZERO
    }

    public LinearLayer linear(String name, long in, long out, boolean bias, Init init) {
        Parameter w = tensor(name + ".weight", new Shape(out, in), init);
        Parameter b = bias ? tensor(name + ".bias", new Shape(out), Init.ZERO) : null;
        LinearLayer layer = new LinearLayer(name, w, b);
        linears.put(name, layer);
        return layer;
    }

    public Parameter tensor(String name, Shape shape, Init init) {
        if (weights != null) {
            return parameters.add(new Parameter(name, weights.load(name, shape, manager)));
        }
        int n = Math.toIntExact(shape.size());
        float[] values = new float[n];
        switch (init) {
            case XAVIER -> {
                // (out, in, k...) : a convolution's receptive field counts into both fans
                double receptive = shape.dimension() > 2 ? shape.size() / (double) (shape.get(0) * shape.get(1)) : 1;
                double fanIn = (shape.dimension() > 1 ? shape.get(1) : shape.get(0)) * receptive;
                double fanOut = shape.get(0) * receptive;
                double limit = Math.sqrt(6.0 / (fanIn + fanOut));
                for (int i = 0; i < n; i++) {
                    values[i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
                }
            }
            case NORMAL_002 -> {
                for (int i = 0; i < n; i++) {
                    values[i] = (float) (0.02 * rng.nextGaussian());
                }
            }
            case ZERO -> {
                // already zero
            }
        }
        return parameters.add(new Parameter(name, OwnedArrays.create(manager, values, shape)));
    }

    /** A tensor filled with a constant (LayerNorm gains start at 1). */
    public Parameter constant(String name, Shape shape, float value) {
        if (weights != null) {
            return parameters.add(new Parameter(name, weights.load(name, shape, manager)));
        }
        float[] values = new float[Math.toIntExact(shape.size())];
        java.util.Arrays.fill(values, value);
        return parameters.add(new Parameter(name, OwnedArrays.create(manager, values, shape)));
    }

    public NamedParameters parameters() {
        return parameters;
    }

    public Map<String, LinearLayer> linears() {
        return linears;
    }
}
