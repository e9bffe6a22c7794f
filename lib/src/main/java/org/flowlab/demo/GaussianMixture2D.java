package org.flowlab.demo;

import java.util.Arrays;
import java.util.Random;

/**
 * A 2-D Gaussian mixture as a flow-matching target, with its exact velocity field, so a sampler can be run and
 * judged without any trained model.
 *
 * <p>Path (STYLE.md convention): {@code x = (1 - sigma) * x0 + sigma * noise}, {@code x0} from the mixture,
 * {@code noise ~ N(0, I)}. Given component k (mean {@code mu_k}, std {@code s}), {@code x} is Gaussian with mean
 * {@code a * mu_k} and variance {@code v_k = a^2 s^2 + sigma^2}, {@code a = 1 - sigma}, and the conditional means are
 * {@code E[x0 | x, k] = mu_k + (a s^2 / v_k)(x - a mu_k)}, {@code E[noise | x, k] = (sigma / v_k)(x - a mu_k)}.
 * The velocity {@code E[noise - x0 | x]} mixes them with the posterior weights of the components.
 *
 * @param means component means, {@code [k][2]}
 * @param std the (isotropic) standard deviation of every component
 * @param weights mixture weights (normalised here)
 */
public record GaussianMixture2D(double[][] means, double std, double[] weights) {

    public GaussianMixture2D {
        if (means.length == 0 || means.length != weights.length) {
            throw new IllegalArgumentException(means.length + " means and " + weights.length + " weights; give one"
                    + " weight per component (at least one)");
        }
        if (!(std > 0)) {
            throw new IllegalArgumentException("std " + std + " is not allowed; use a positive value, e.g. 0.1");
        }
        double sum = Arrays.stream(weights).sum();
        if (!(sum > 0) || Arrays.stream(weights).anyMatch(w -> w < 0)) {
            throw new IllegalArgumentException("weights " + Arrays.toString(weights) + " must be >= 0 with a positive sum");
        }
        double[][] m = new double[means.length][];
        for (int i = 0; i < means.length; i++) {
            if (means[i].length != 2) {
                throw new IllegalArgumentException("mean " + i + " has " + means[i].length + " coordinates; give 2");
            }
            m[i] = means[i].clone();
        }
        means = m;
        weights = Arrays.stream(weights).map(w -> w / sum).toArray();
    }

    /** {@code k} equal modes on a circle of {@code radius}: the usual toy picture. */
    public static GaussianMixture2D ring(int k, double radius, double std) {
        if (k < 1) {
            throw new IllegalArgumentException("k " + k + " is not allowed; use 1 or more modes");
        }
        double[][] means = new double[k][];
        for (int i = 0; i < k; i++) {
            double angle = 2 * Math.PI * i / k;
            means[i] = new double[] {radius * Math.cos(angle), radius * Math.sin(angle)};
        }
        double[] w = new double[k];
        Arrays.fill(w, 1.0);
        return new GaussianMixture2D(means, std, w);
    }

    /** The exact velocity {@code E[noise - x0 | x_sigma = (x, y)]} at noise level {@code sigma} in [0, 1]. */
    public double[] velocity(double x, double y, double sigma) {
        double a = 1 - sigma;
        double var = a * a * std * std + sigma * sigma;
        int k = means.length;
        double[] logR = new double[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            double dx = x - a * means[i][0];
            double dy = y - a * means[i][1];
            logR[i] = Math.log(weights[i]) - (dx * dx + dy * dy) / (2 * var);
            max = Math.max(max, logR[i]);
        }
        double norm = 0;
        for (int i = 0; i < k; i++) {
            logR[i] = Math.exp(logR[i] - max);
            norm += logR[i];
        }
        double vx = 0;
        double vy = 0;
        for (int i = 0; i < k; i++) {
            double r = logR[i] / norm;
            double dx = x - a * means[i][0];
            double dy = y - a * means[i][1];
            // E[noise|x,k] - E[x0|x,k]
            vx += r * ((sigma / var) * dx - (means[i][0] + (a * std * std / var) * dx));
            vy += r * ((sigma / var) * dy - (means[i][1] + (a * std * std / var) * dy));
        }
        return new double[] {vx, vy};
    }

    /** {@code log p(x, y)} of the mixture itself (sigma = 0). */
    public double logDensity(double x, double y) {
        double var = std * std;
        double max = Double.NEGATIVE_INFINITY;
        double[] terms = new double[means.length];
        for (int i = 0; i < means.length; i++) {
            double dx = x - means[i][0];
            double dy = y - means[i][1];
            terms[i] = Math.log(weights[i]) - (dx * dx + dy * dy) / (2 * var) - Math.log(2 * Math.PI * var);
            max = Math.max(max, terms[i]);
        }
        double s = 0;
        for (double t : terms) {
            s += Math.exp(t - max);
        }
        return max + Math.log(s);
    }

    /** {@code n} draws from the mixture, {@code [n][2]}. */
    public double[][] sample(int n, Random random) {
        double[][] out = new double[n][];
        for (int j = 0; j < n; j++) {
            double u = random.nextDouble();
            int i = 0;
            while (i < weights.length - 1 && u > weights[i]) {
                u -= weights[i];
                i++;
            }
            out[j] = new double[] {means[i][0] + std * random.nextGaussian(), means[i][1] + std * random.nextGaussian()};
        }
        return out;
    }

    @Override
    public double[][] means() {
        double[][] m = new double[means.length][];
        for (int i = 0; i < means.length; i++) {
            m[i] = means[i].clone();
        }
        return m;
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GaussianMixture2D g && std == g.std && Arrays.deepEquals(means, g.means)
                && Arrays.equals(weights, g.weights);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(means) * 31 + Double.hashCode(std);
    }

    @Override
    public String toString() {
        return "GaussianMixture2D(" + means.length + " modes, std " + std + ")";
    }
}
