package org.flowlab.schedule;

import java.util.Arrays;
import java.util.Locale;

/**
 * Glance's two timestep lists (SPEC-glance.md): positions picked from a base schedule, each as {@code 1000*sigma}.
 * The slow LoRA trains on the early (semantic) ones, the fast LoRA on the late ones; inference visits
 * {@code [slow/1000..., fast/1000..., 0]}.
 *
 * @param base the base schedule the positions index into
 * @param slow timesteps of the slow phase (x1000)
 * @param fast timesteps of the fast phase (x1000)
 */
public record GlanceLists(Schedule base, double[] slow, double[] fast) {

    /** The published positions in a 50-step schedule. */
    public static final int[] DEFAULT_SLOW_POSITIONS = {0, 2, 4, 6, 8};
    public static final int[] DEFAULT_FAST_POSITIONS = {10, 20, 30, 40, 49};
    public static final int DEFAULT_BASE_STEPS = 50;

    public GlanceLists {
        slow = slow.clone();
        fast = fast.clone();
    }

    /** The published lists: positions 0,2,4,6,8 | 10,20,30,40,49 of the preset's 50-step schedule at that size. */
    public static GlanceLists derive(SchedulePreset preset, int width, int height) {
        return derive(preset.schedule(DEFAULT_BASE_STEPS, width, height), DEFAULT_SLOW_POSITIONS, DEFAULT_FAST_POSITIONS);
    }

    /** Lists at any positions of any base schedule (positions index its steps, the terminal 0 excluded). */
    public static GlanceLists derive(Schedule base, int[] slowPositions, int[] fastPositions) {
        return new GlanceLists(base, pick(base, slowPositions, "slow"), pick(base, fastPositions, "fast"));
    }

    private static double[] pick(Schedule base, int[] positions, String phase) {
        if (positions.length == 0) {
            throw new IllegalArgumentException("the " + phase + " position list is empty");
        }
        double[] timesteps = base.timesteps();
        double[] out = new double[positions.length];
        for (int i = 0; i < positions.length; i++) {
            int p = positions[i];
            if (p < 0 || p >= timesteps.length) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "Glance %s position %d is outside the %d-step base schedule (allowed 0..%d)",
                        phase, p, timesteps.length, timesteps.length - 1));
            }
            out[i] = timesteps[p];
        }
        return out;
    }

    @Override
    public double[] slow() {
        return slow.clone();
    }

    @Override
    public double[] fast() {
        return fast.clone();
    }

    /** The schedule training implies: {@code [slow/1000..., fast/1000..., 0]}, never re-shifted. */
    public Schedule inferenceSchedule() {
        double[] sigmas = new double[slow.length + fast.length + 1];
        for (int i = 0; i < slow.length; i++) {
            sigmas[i] = slow[i] / 1000;
        }
        for (int i = 0; i < fast.length; i++) {
            sigmas[slow.length + i] = fast[i] / 1000;
        }
        return Schedule.ofSigmas("Glance " + slow.length + "+" + fast.length + " from " + base.label(), sigmas);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GlanceLists g && base.equals(g.base) && Arrays.equals(slow, g.slow)
                && Arrays.equals(fast, g.fast);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(slow) + Arrays.hashCode(fast);
    }

    @Override
    public String toString() {
        return "Glance lists from " + base.label() + "\n  slow: " + format(slow) + "\n  fast: " + format(fast);
    }

    private static String format(double[] ts) {
        StringBuilder sb = new StringBuilder();
        for (double t : ts) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", t));
        }
        return sb.toString();
    }
}
