package org.flowlab.schedule;

/** numpy's {@code linspace}: {@code start + i*step}, with the last point set exactly to {@code stop}. */
public final class Linspace {
    private Linspace() {
    }

    public static double[] of(double start, double stop, int num) {
        if (num < 1) {
            throw new IllegalArgumentException("linspace needs at least 1 point, got " + num);
        }
        double[] out = new double[num];
        if (num == 1) {
            out[0] = start;
            return out;
        }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) {
            out[i] = start + i * step;
        }
        out[num - 1] = stop;
        return out;
    }
}
