package org.flowlab.schedule;

/**
 * The grid an SCFM training step draws its segment from (SPEC-scfm.md, step 3), also its inference schedule:
 * {@code T = linspace(1, 0, n+1)}, shifted, then {@code T[0] = 1 - 1e-5} so the model never sees sigma exactly 1.
 */
public final class ScfmGrid {
    /** How far below 1 the first point sits. */
    public static final double FIRST_POINT_OFFSET = 1e-5;

    private ScfmGrid() {
    }

    /** {@code n + 1} sigmas from {@code 1 - 1e-5} down to 0. */
    public static double[] sigmas(int n, TimeShift shift) {
        if (n < 1) {
            throw new IllegalArgumentException("SCFM grid size " + n + " is not allowed; use 1 or more");
        }
        double[] t = shift.applyAll(Linspace.of(1, 0, n + 1));
        t[0] = 1 - FIRST_POINT_OFFSET;
        return t;
    }

    /** The grid as an inference schedule (SCFM samples with a static shift: Flux 3.25, SD3 3). */
    public static Schedule schedule(int steps, TimeShift shift) {
        return Schedule.ofSigmas("SCFM grid, " + steps + " steps, " + shift, sigmas(steps, shift));
    }
}
