package org.flowlab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Exact identities of the Frechet distance, which any correct matrix square root must reproduce. */
class FrechetDistanceTest {

    static double[][] correlatedRows(int n, int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] mix = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                mix[i][j] = rng.nextGaussian() / Math.sqrt(d);
            }
        }
        double[][] rows = new double[n][d];
        for (int r = 0; r < n; r++) {
            double[] z = new double[d];
            for (int i = 0; i < d; i++) {
                z[i] = rng.nextGaussian();
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    rows[r][i] += mix[i][j] * z[j];
                }
            }
        }
        return rows;
    }

    static double trace(double[][] s) {
        double t = 0;
        for (int i = 0; i < s.length; i++) {
            t += s[i][i];
        }
        return t;
    }

    @Test
    void identities() {
        double[][] x = correlatedRows(400, 16, 1);
        assertEquals(0, FrechetDistance.between(x, x), 1e-8, "a set against itself");

        double[] mu = FrechetDistance.mean(x);
        double[][] centred = new double[x.length][16];
        double[][] doubled = new double[x.length][16];
        double[][] shifted = new double[x.length][16];
        for (int r = 0; r < x.length; r++) {
            for (int i = 0; i < 16; i++) {
                centred[r][i] = x[r][i] - mu[i];
                doubled[r][i] = 2 * centred[r][i];
                shifted[r][i] = x[r][i] + (i == 3 ? 0.5 : 0) + (i == 7 ? -1.5 : 0);
            }
        }
        // a pure shift c changes only the mean term: FD = |c|^2
        assertEquals(0.25 + 2.25, FrechetDistance.between(x, shifted), 1e-8);
        // scaling a centred set by 2: S2 = 4 S1, so FD = tr(S1 + 4 S1 - 2 * 2 S1) = tr(S1)
        double tr = trace(FrechetDistance.covariance(centred, new double[16]));
        assertEquals(tr, FrechetDistance.between(centred, doubled), 1e-6 * tr);
    }

    @Test
    void oneDimensionalGaussians() {
        // 1-D: FD = (mu1 - mu2)^2 + (s1 - s2)^2 with the sample moments
        double[][] a = new double[500][1];
        double[][] b = new double[500][1];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 500; i++) {
            a[i][0] = 1 + 2 * rng.nextGaussian();
            b[i][0] = -1 + 0.5 * rng.nextGaussian();
        }
        double ma = FrechetDistance.mean(a)[0];
        double mb = FrechetDistance.mean(b)[0];
        double sa = Math.sqrt(FrechetDistance.covariance(a, new double[] {ma})[0][0]);
        double sb = Math.sqrt(FrechetDistance.covariance(b, new double[] {mb})[0][0]);
        assertEquals((ma - mb) * (ma - mb) + (sa - sb) * (sa - sb), FrechetDistance.between(a, b), 1e-9);
    }
}
