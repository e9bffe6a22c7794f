package org.flowlab.eval;

import java.util.Locale;

/**
 * A measured value with its 95% bootstrap interval over prompts ({@link Bootstrap}), so "a clear margin" can be read
 * as intervals that do not overlap. A value measured without one has NaN bounds.
 */
public record Estimate(double value, double low, double high) {

    public static Estimate point(double value) {
        return new Estimate(value, Double.NaN, Double.NaN);
    }

    public boolean hasInterval() {
        return !Double.isNaN(low) && !Double.isNaN(high);
    }

    /** Whether this interval lies wholly above the other's (both must have one). */
    public boolean clearlyAbove(Estimate other) {
        return hasInterval() && other.hasInterval() && low > other.high;
    }

    /** {@code 0.912 [0.897, 0.925]} with this many digits after the point. */
    public String text(int digits) {
        String f = "%." + digits + "f";
        return hasInterval() ? String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", value, low, high)
                : String.format(Locale.ROOT, f, value);
    }

    @Override
    public String toString() {
        return text(3);
    }
}
