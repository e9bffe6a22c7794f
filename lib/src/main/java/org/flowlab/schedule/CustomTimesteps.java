package org.flowlab.schedule;

import java.util.Arrays;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * A hand-given list of timesteps or sigmas to train on (Glance's slow/fast lists; SimpleTuner's
 * {@code --flow_custom_timesteps}). No shift is applied on top.
 *
 * <p>Values above 1 mark the whole list as timesteps ({@code sigma = clamp(t, 0, 1000) / 1000}); a list of values
 * all {@code <= 1} holds sigmas. The round-robin cursor is the only state; save it with {@link #cursor()} and put
 * it back with {@link #restoreCursor(long)} so a resumed run draws what the uninterrupted one would have.
 */
public final class CustomTimesteps implements TimestepSampler {

    /** How entries are drawn. */
    public enum DrawMode {
        /** One random entry for the whole batch (the official Glance code). */
        PER_BATCH,
        /** One random entry per sample (SimpleTuner's default). */
        PER_SAMPLE,
        /** Entries in order, one per sample, wrapping around; the cursor survives checkpoints. */
        ROUND_ROBIN;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static DrawMode fromId(String id) {
            for (DrawMode m : values()) {
                if (m.id().equalsIgnoreCase(id) || m.name().equalsIgnoreCase(id)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown draw mode '" + id + "'; use per-batch, per-sample or round-robin");
        }
    }

    private final double[] sigmas;
    private final DrawMode mode;
    private long cursor;

    private CustomTimesteps(double[] sigmas, DrawMode mode) {
        this.sigmas = sigmas;
        this.mode = mode;
    }

    /** A list of timesteps (any value > 1) or sigmas (all values <= 1). */
    public static CustomTimesteps of(double[] values, DrawMode mode) {
        if (values.length == 0) {
            throw new IllegalArgumentException("the timestep list is empty");
        }
        boolean timesteps = false;
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("the timestep list holds a non-finite value " + v);
            }
            timesteps |= v > 1;
        }
        double[] sigmas = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            sigmas[i] = timesteps ? Math.min(Math.max(values[i], 0), 1000) / 1000 : Math.max(values[i], 0);
        }
        return new CustomTimesteps(sigmas, mode);
    }

    /** Parses {@code "1000, 979.19, 957.52"}; an unparsable entry is named in the error. */
    public static CustomTimesteps parse(String list, DrawMode mode) {
        return of(parseList(list), mode);
    }

    /** Comma-separated numbers; a blank or unparsable entry is an error naming it. */
    public static double[] parseList(String list) {
        if (list == null || list.isBlank()) {
            throw new IllegalArgumentException("the timestep list is empty");
        }
        String[] parts = list.split(",");
        double[] values = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            try {
                values[i] = Double.parseDouble(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + p + "' in the list '" + list + "' is not a number");
            }
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("'" + p + "' in the list '" + list + "' is not a finite number");
            }
        }
        return values;
    }

    public double[] sigmas() {
        return sigmas.clone();
    }

    public DrawMode mode() {
        return mode;
    }

    /** How many entries round-robin has handed out so far. */
    public synchronized long cursor() {
        return cursor;
    }

    public synchronized void restoreCursor(long cursor) {
        if (cursor < 0) {
            throw new IllegalArgumentException("cursor " + cursor + " is negative");
        }
        this.cursor = cursor;
    }

    @Override
    public synchronized double[] sample(int batch, RandomGenerator rng) {
        double[] out = new double[TimestepSampler.requireBatch(batch)];
        switch (mode) {
            case PER_BATCH -> Arrays.fill(out, sigmas[rng.nextInt(sigmas.length)]);
            case PER_SAMPLE -> {
                for (int i = 0; i < batch; i++) {
                    out[i] = sigmas[rng.nextInt(sigmas.length)];
                }
            }
            case ROUND_ROBIN -> {
                for (int i = 0; i < batch; i++) {
                    out[i] = sigmas[(int) (cursor++ % sigmas.length)];
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "CustomTimesteps[" + mode.id() + ", sigmas " + Arrays.toString(sigmas) + "]";
    }
}
