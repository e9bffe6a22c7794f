package org.flowlab.eval;

/** Per-image comparisons on [-1, 1] images (flattened CHW). */
public final class ImageMetrics {
    private ImageMetrics() {
    }

    public static double mse(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("images differ in size: " + a.length + " vs " + b.length + " values");
        }
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            sum += d * d;
        }
        return sum / a.length;
    }

    /** PSNR in dB for the [-1, 1] range (peak-to-peak 2): {@code 10 log10(4 / mse)}; infinite for identical images. */
    public static double psnr(float[] a, float[] b) {
        double m = mse(a, b);
        return m == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(4 / m);
    }
}
