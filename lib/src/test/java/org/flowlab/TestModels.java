package org.flowlab;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.flowlab.flow.Noise;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.Parameter;
import org.flowlab.toy.DiTConfig;
import org.flowlab.toy.ToyModel;

/** Small models for tests. */
public final class TestModels {
    private TestModels() {
    }

    /** Overwrites a parameter with N(0, 0.1^2) values drawn from {@code seed}. */
    public static void randomize(Parameter p, long seed) {
        try (NDManager tmp = NDManager.newBaseManager()) {
            p.copyFrom(Noise.forSeeds(tmp, new long[] {seed}, p.shape().getShape()).reshape(p.shape()).mul(0.1f));
        }
    }

    /**
     * A DiT whose zero-initialised output and modulation layers hold small random values, so every block (and any
     * LoRA on it) reaches the output, as in a trained model.
     */
    public static DiffusionModel awake(DiTConfig config, long seed) {
        DiffusionModel model = ToyModel.create(config, Device.cpu(), seed);
        NamedParameters p = model.transformer().parameters();
        for (String name : List.of("proj_out.weight", "norm_out.linear.weight")) {
            randomize(p.get(name), name.hashCode() + seed);
        }
        for (int i = 0; i < config.depth(); i++) {
            randomize(p.get("transformer_blocks." + i + ".norm1.linear.weight"), i + seed);
        }
        return model;
    }
}
