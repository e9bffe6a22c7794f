package org.flowlab.ema;

import ai.djl.ndarray.NDArray;
import java.util.Locale;
import java.util.Map;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.WeightSet;

/**
 * An EMA over an adapter's parameters. Update it outside any GradientCollector (in-place writes into arrays that
 * autograd may be watching fail there).
 */
public final class Ema implements AutoCloseable {

    /** Where an EMA starts. */
    public enum Start {
        /** All zeros: the base model (SCFM's fast and slow EMAs both start here). */
        ZERO,
        /** A copy of the student. */
        STUDENT
    }

    private final WeightSet weights;
    private final LoraAdapter student;
    private volatile double decay;
    private long updates;

    private Ema(WeightSet weights, LoraAdapter student, double decay) {
        this.weights = weights;
        this.student = student;
        setDecay(decay);
    }

    public static Ema create(String name, LoraAdapter student, double decay, Start start) {
        WeightSet w = start == Start.ZERO ? WeightSet.zerosLike(student, name) : WeightSet.copyOf(student, name);
        return new Ema(w, student, decay);
    }

    public String name() {
        return weights.name();
    }

    public WeightSet weights() {
        return weights;
    }

    public double decay() {
        return decay;
    }

    /** Takes effect at the next {@link #update()}. */
    public void setDecay(double newDecay) {
        if (!(newDecay >= 0 && newDecay <= 1)) {
            throw new IllegalArgumentException("EMA decay " + newDecay + " must lie in [0, 1]");
        }
        decay = newDecay;
    }

    /** How many updates since creation or the last restart. */
    public long updates() {
        return updates;
    }

    /** {@code ema = decay * ema + (1 - decay) * student}, every entry in place. */
    public void update() {
        float d = (float) decay;
        float rest = (float) (1 - decay);
        for (Map.Entry<String, NDArray> e : weights.arrays().entrySet()) {
            NDArray theta = student.parameters().get(e.getKey()).array();
            try (NDArray scaled = theta.mul(rest)) {
                e.getValue().muli(d).addi(scaled);
            }
        }
        updates++;
    }

    /** Starts over from the student's current values (SD3 recipe: every 2000 steps). */
    public void restart() {
        weights.copyFrom(WeightSet.view(student));
        updates = 0;
    }

    /** Starts over from zero. */
    public void reset() {
        weights.fillZero();
        updates = 0;
    }

    /** Restores the counter from a checkpoint. */
    public void restoreUpdates(long count) {
        updates = count;
    }

    @Override
    public void close() {
        weights.close();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "EMA %s decay %s, %d updates, |w| = %.4g", name(), decay, updates, weights.norm());
    }
}
