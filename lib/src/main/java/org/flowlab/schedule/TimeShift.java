package org.flowlab.schedule;

/**
 * A monotone map of [0, 1] onto itself that pushes sigmas towards the noisy end (SPEC-flow.md, "Definitions").
 * Every shift fixes 0 and 1.
 */
public sealed interface TimeShift {

    /** The shifted value of one sigma. */
    double apply(double sigma);

    /** The shifted copy of a whole list. */
    default double[] applyAll(double[] sigmas) {
        double[] out = new double[sigmas.length];
        for (int i = 0; i < sigmas.length; i++) {
            out[i] = apply(sigmas[i]);
        }
        return out;
    }

    /** No shift at all (static shift 1). */
    TimeShift NONE = new Static(1.0);

    static TimeShift of(double shift) {
        return new Static(shift);
    }

    /** SD3's static shift: {@code s*x / (1 + (s-1)*x)}. */
    record Static(double shift) implements TimeShift {
        public Static {
            if (!(shift > 0) || Double.isInfinite(shift)) {
                throw new IllegalArgumentException("shift " + shift + " is not allowed; use a finite value > 0 (1 = no shift)");
            }
        }

        @Override
        public double apply(double x) {
            return shift * x / (1 + (shift - 1) * x);
        }

        @Override
        public String toString() {
            return "static shift " + shift;
        }
    }

    /** Flux's resolution-dependent shift: {@code e^mu / (e^mu + (1/x - 1))}, i.e. a static shift of {@code e^mu}. */
    record Exponential(double mu) implements TimeShift {
        public Exponential {
            requireFiniteMu(mu);
        }

        @Override
        public double apply(double x) {
            double e = Math.exp(mu);
            return e / (e + (1 / x - 1)); // x = 0 gives 1/0 = inf and so 0, as numpy does
        }

        @Override
        public String toString() {
            return "exponential time shift mu=" + mu;
        }
    }

    /** diffusers' "linear" time shift: {@code mu / (mu + (1/x - 1))}. */
    record Linear(double mu) implements TimeShift {
        public Linear {
            requireFiniteMu(mu);
            if (!(mu > 0)) {
                throw new IllegalArgumentException("linear time shift needs mu > 0, got " + mu);
            }
        }

        @Override
        public double apply(double x) {
            return mu / (mu + (1 / x - 1));
        }

        @Override
        public String toString() {
            return "linear time shift mu=" + mu;
        }
    }

    private static void requireFiniteMu(double mu) {
        if (!Double.isFinite(mu)) {
            throw new IllegalArgumentException("mu " + mu + " is not a finite number");
        }
    }
}
