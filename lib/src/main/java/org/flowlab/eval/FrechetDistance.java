package org.flowlab.eval;

/**
 * The Frechet distance between two Gaussians fitted to feature rows (FID's formula):
 * {@code |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)}. Matrix square roots of the symmetric PSD matrices
 * come from a Jacobi eigendecomposition (plain Java, exact enough for 64-d features).
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /**
     * The distance of generated features to real ones with its 95% interval over prompts: the prompts are resampled,
     * each with its generated rows and its {@code realPerPrompt} real rows.
     *
     * @param group the prompt index of each generated row
     * @param real rows of prompt g at {@code [g * realPerPrompt, (g + 1) * realPerPrompt)}
     */
    public static Estimate overPrompts(double[][] generated, int[] group, double[][] real, int realPerPrompt) {
        int prompts = real.length / realPerPrompt;
        return Bootstrap.overGroups(prompts, idx -> {
            java.util.List<double[]> gen = new java.util.ArrayList<>();
            java.util.List<double[]> ref = new java.util.ArrayList<>();
            for (int g : idx) {
                for (int i = 0; i < group.length; i++) {
                    if (group[i] == g) {
                        gen.add(generated[i]);
                    }
                }
                for (int k = 0; k < realPerPrompt; k++) {
                    ref.add(real[g * realPerPrompt + k]);
                }
            }
            return between(gen.toArray(double[][]::new), ref.toArray(double[][]::new));
        }, Bootstrap.COSTLY_RESAMPLES, 2);
    }

    public static double between(double[][] a, double[][] b) {
        if (a.length < 2 || b.length < 2) {
            throw new IllegalArgumentException("Frechet distance needs at least 2 rows per set, got " + a.length + " and "
                    + b.length);
        }
        int d = a[0].length;
        if (b[0].length != d) {
            throw new IllegalArgumentException("feature widths differ: " + d + " vs " + b[0].length);
        }
        double[] mu1 = mean(a);
        double[] mu2 = mean(b);
        double[][] s1 = covariance(a, mu1);
        double[][] s2 = covariance(b, mu2);
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            meanTerm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        }
        double[][] root1 = sqrtPsd(s1);
        double[][] inner = multiply(multiply(root1, s2), root1);
        double[][] innerRoot = sqrtPsd(inner);
        double trace = 0;
        for (int i = 0; i < d; i++) {
            trace += s1[i][i] + s2[i][i] - 2 * innerRoot[i][i];
        }
        return Math.max(0, meanTerm + trace);
    }

    static double[] mean(double[][] rows) {
        double[] mu = new double[rows[0].length];
        for (double[] r : rows) {
            for (int i = 0; i < mu.length; i++) {
                mu[i] += r[i] / rows.length;
            }
        }
        return mu;
    }

    /** Unbiased (n - 1) covariance, as numpy's cov. */
    static double[][] covariance(double[][] rows, double[] mu) {
        int d = mu.length;
        double[][] c = new double[d][d];
        for (double[] r : rows) {
            for (int i = 0; i < d; i++) {
                double di = r[i] - mu[i];
                for (int j = i; j < d; j++) {
                    c[i][j] += di * (r[j] - mu[j]);
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                c[i][j] /= rows.length - 1;
                c[j][i] = c[i][j];
            }
        }
        return c;
    }

    static double[][] multiply(double[][] x, double[][] y) {
        int n = x.length;
        int m = y[0].length;
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < y.length; k++) {
                double v = x[i][k];
                if (v != 0) {
                    for (int j = 0; j < m; j++) {
                        out[i][j] += v * y[k][j];
                    }
                }
            }
        }
        return out;
    }

    /** V sqrt(max(L, 0)) V^T of a symmetric matrix (negative round-off eigenvalues count as 0). */
    static double[][] sqrtPsd(double[][] s) {
        int n = s.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = s[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        jacobi(a, v);
        double[][] out = new double[n][n];
        for (int k = 0; k < n; k++) {
            double root = Math.sqrt(Math.max(0, a[k][k]));
            if (root == 0) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                double vik = v[i][k] * root;
                for (int j = 0; j < n; j++) {
                    out[i][j] += vik * v[j][k];
                }
            }
        }
        return out;
    }

    /** Cyclic Jacobi rotations until the off-diagonal mass is negligible; eigenvalues end on a's diagonal. */
    private static void jacobi(double[][] a, double[][] v) {
        int n = a.length;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < n; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < n; j++) {
                    off += a[i][j] * a[i][j];
                }
            }
            if (off <= 1e-24 * Math.max(diag, 1e-300)) {
                return;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (Math.abs(a[p][q]) < 1e-300) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double sn = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - sn * akq;
                        a[k][q] = sn * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - sn * aqk;
                        a[q][k] = sn * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - sn * vkq;
                        v[k][q] = sn * vkp + c * vkq;
                    }
                }
            }
        }
    }
}
