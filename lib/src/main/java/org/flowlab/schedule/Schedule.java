package org.flowlab.schedule;

import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * An inference schedule: the sigmas an Euler sampler visits, ending with the terminal 0. Immutable.
 *
 * <p>Step {@code i} goes from {@code sigma(i)} to {@code sigma(i+1)}: {@code x <- x + (sigma(i+1) - sigma(i)) * v}.
 *
 * @param label what produced it, e.g. {@code "flux-dev 1024x1024, 28 steps"}
 * @param sigmas {@code steps + 1} values, the last one the terminal 0
 * @param mu the dynamic-shift parameter when one was used
 */
public record Schedule(String label, double[] sigmas, OptionalDouble mu) {

    public Schedule {
        if (sigmas.length < 2) {
            throw new IllegalArgumentException("a schedule needs at least one step (two sigmas), got "
                    + Arrays.toString(sigmas));
        }
        sigmas = sigmas.clone();
        label = label == null ? "schedule" : label;
    }

    /** A schedule from sigmas that already end with the terminal value (used as given, never shifted). */
    public static Schedule ofSigmas(String label, double... sigmasWithTerminal) {
        return new Schedule(label, sigmasWithTerminal, OptionalDouble.empty());
    }

    public int steps() {
        return sigmas.length - 1;
    }

    public double sigma(int i) {
        return sigmas[i];
    }

    @Override
    public double[] sigmas() {
        return sigmas.clone();
    }

    /** {@code 1000 * sigma} for every step, without the terminal (what a pipeline feeds an x1000 model). */
    public double[] timesteps() {
        double[] t = new double[steps()];
        for (int i = 0; i < t.length; i++) {
            t[i] = sigmas[i] * 1000;
        }
        return t;
    }

    /** {@code sigma(i+1) - sigma(i)} per step (negative: sampling runs from noise to data). */
    public double[] deltas() {
        double[] d = new double[steps()];
        for (int i = 0; i < d.length; i++) {
            d[i] = sigmas[i + 1] - sigmas[i];
        }
        return d;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schedule s && label.equals(s.label) && Arrays.equals(sigmas, s.sigmas) && mu.equals(s.mu);
    }

    @Override
    public int hashCode() {
        return 31 * label.hashCode() + Arrays.hashCode(sigmas);
    }

    /** The table a person reads: index, sigma, timestep, delta-sigma. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(label);
        mu.ifPresent(m -> sb.append(String.format(Locale.ROOT, " (mu=%.6f)", m)));
        sb.append(String.format(Locale.ROOT, "%n%5s  %-10s %-11s %s%n", "step", "sigma", "timestep", "d_sigma"));
        for (int i = 0; i < sigmas.length; i++) {
            String delta = i < steps() ? String.format(Locale.ROOT, "%+.6f", sigmas[i + 1] - sigmas[i]) : "";
            sb.append(String.format(Locale.ROOT, "%5d  %.8f %11.5f %s%n", i, sigmas[i], sigmas[i] * 1000, delta));
        }
        return sb.toString();
    }
}
