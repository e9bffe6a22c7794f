package org.flowlab.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.flowlab.schedule.ScheduleRulesTest.assertMessage;
import static org.flowlab.schedule.ScheduleRulesTest.shift;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Sampler statistics over 100k seeded draws against CDFs and means computed here from the SPEC formulas.
 *
 * <p>Tolerances: the empirical CDF is checked at several points with eps = 0.01; by the DKW inequality
 * P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2) = 4e-9 at n = 100k. Means are checked to 4 standard errors of
 * the sample (false alarm ~6e-5 per check; the seeds are fixed, so a pass is repeatable).
 */
class TimestepSamplerTest {
    static final int N = 100_000;
    static final double DKW_EPS = 0.01;

    static double[] draw(TimestepSampler sampler, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] out = new double[N];
        for (int i = 0; i < N; i += 100) {
            System.arraycopy(sampler.sample(100, rng), 0, out, i, 100);
        }
        return out;
    }

    static void assertDistribution(double[] draws, DoubleUnaryOperator cdf, double expectedMean) {
        double[] sorted = draws.clone();
        Arrays.sort(sorted);
        for (double x : new double[] {0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95}) {
            int below = Arrays.binarySearch(sorted, x);
            double empirical = (below >= 0 ? below : -below - 1) / (double) sorted.length;
            assertEquals(cdf.applyAsDouble(x), empirical, DKW_EPS, "CDF at " + x);
        }
        double mean = Arrays.stream(draws).average().orElseThrow();
        double var = Arrays.stream(draws).map(d -> (d - mean) * (d - mean)).sum() / (draws.length - 1);
        assertEquals(expectedMean, mean, 4 * Math.sqrt(var / draws.length), "mean");
        assertTrue(sorted[0] >= 0 && sorted[sorted.length - 1] <= 1, "draws stay in [0, 1]");
    }

    /** Simpson's rule on [a, b] with 20k intervals (error far below the 4-SE tolerance). */
    static double integrate(DoubleUnaryOperator f, double a, double b) {
        int n = 20_000;
        double h = (b - a) / n;
        double sum = f.applyAsDouble(a) + f.applyAsDouble(b);
        for (int i = 1; i < n; i++) {
            sum += f.applyAsDouble(a + i * h) * (i % 2 == 0 ? 2 : 4);
        }
        return sum * h / 3;
    }

    /** Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), enough for a CDF compared to 0.01. */
    static double normalCdf(double z) {
        double x = Math.abs(z) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592)
                * t * Math.exp(-x * x);
        return 0.5 * (1 + Math.signum(z) * erf);
    }

    @Test
    void uniformWithAndWithoutShift() {
        assertDistribution(draw(new TimestepSampler.Uniform(), 1), x -> x, 0.5);
        double s = 3;
        // shift(s, u) <= x  <=>  u <= x / (s - (s-1) x)
        assertDistribution(draw(new TimestepSampler.Uniform(s), 2), x -> x / (s - (s - 1) * x),
                integrate(u -> shift(s, u), 0, 1));
    }

    @Test
    void logitNormal() {
        for (double[] p : new double[][] {{0, 1}, {0.5, 0.7}, {-1, 1.5}}) {
            double m = p[0];
            double sd = p[1];
            DoubleUnaryOperator cdf = x -> normalCdf((Math.log(x / (1 - x)) - m) / sd);
            // E[sigmoid(m + sd Z)] by integrating over the normal density
            double mean = integrate(z -> 1 / (1 + Math.exp(-(m + sd * z))) * Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI),
                    -12, 12);
            assertDistribution(draw(new TimestepSampler.LogitNormal(m, sd), 3), cdf, mean);
        }
    }

    @Test
    void modeSampler() {
        for (double scale : new double[] {0.0, 0.5, 1.29, -0.5}) {
            TimestepSampler.Mode mode = new TimestepSampler.Mode(scale);
            DoubleUnaryOperator map = u -> {
                double c = Math.cos(Math.PI * u / 2);
                return 1 - u - scale * (c * c - 1 + u);
            };
            // map is decreasing, so P(map(u) <= x) = 1 - g(x) with g its inverse (bisection)
            DoubleUnaryOperator cdf = x -> {
                double lo = 0;
                double hi = 1;
                for (int i = 0; i < 60; i++) {
                    double mid = (lo + hi) / 2;
                    if (map.applyAsDouble(mid) > x) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                return 1 - lo;
            };
            assertDistribution(draw(mode, 4), cdf, integrate(map, 0, 1));
        }
    }

    @Test
    void sd3IndexStyleDrawsFromTheShiftedTable() {
        double s = 3;
        // table entries are shift(s, k/1000), k = 1..1000, each with probability 1/1000
        DoubleUnaryOperator cdf = x -> {
            int count = 0;
            for (int k = 1; k <= 1000; k++) {
                count += shift(s, k / 1000.0) <= x ? 1 : 0;
            }
            return count / 1000.0;
        };
        double mean = 0;
        for (int k = 1; k <= 1000; k++) {
            mean += shift(s, k / 1000.0) / 1000;
        }
        TimestepSampler.Sd3Index sampler = new TimestepSampler.Sd3Index(s);
        assertDistribution(draw(sampler, 5), cdf, mean);
        assertEquals(1.0, sampler.table()[0], 1e-15);
    }

    @Test
    void customPerSampleHitsEveryEntryEqually() {
        double[] list = {1000, 979.1915, 957.5157, 934.9170, 911.3354};
        CustomTimesteps sampler = CustomTimesteps.of(list, CustomTimesteps.DrawMode.PER_SAMPLE);
        double[] draws = draw(sampler, 6);
        double p = 1.0 / list.length;
        double se = Math.sqrt(p * (1 - p) / N);
        for (double t : list) {
            long hits = Arrays.stream(draws).filter(d -> d == t / 1000).count();
            assertEquals(p, hits / (double) N, 4 * se, "frequency of " + t);
        }
    }

    @Test
    void customPerBatchUsesOneEntryPerBatch() {
        CustomTimesteps sampler = CustomTimesteps.parse("886.7, 745.07, 562.95, 320.08, 20", CustomTimesteps.DrawMode.PER_BATCH);
        SplittableRandom rng = new SplittableRandom(7);
        int[] counts = new int[5];
        double[] sigmas = sampler.sigmas();
        int batches = 20_000;
        for (int b = 0; b < batches; b++) {
            double[] batch = sampler.sample(8, rng);
            for (double x : batch) {
                assertEquals(batch[0], x, 0, "one entry per batch");
            }
            for (int k = 0; k < 5; k++) {
                counts[k] += batch[0] == sigmas[k] ? 1 : 0;
            }
        }
        double se = Math.sqrt(0.2 * 0.8 / batches);
        for (int c : counts) {
            assertEquals(0.2, c / (double) batches, 4 * se);
        }
    }

    @Test
    void roundRobinCursorSurvivesSaveAndRestore() {
        CustomTimesteps a = CustomTimesteps.of(new double[] {0.9, 0.5, 0.1}, CustomTimesteps.DrawMode.ROUND_ROBIN);
        SplittableRandom rng = new SplittableRandom(0);
        assertArrayEquals(new double[] {0.9, 0.5}, a.sample(2, rng));
        assertArrayEquals(new double[] {0.1, 0.9, 0.5, 0.1}, a.sample(4, rng));
        long saved = a.cursor();
        assertEquals(6, saved);
        double[] next = a.sample(5, rng);

        CustomTimesteps resumed = CustomTimesteps.of(new double[] {0.9, 0.5, 0.1}, CustomTimesteps.DrawMode.ROUND_ROBIN);
        resumed.restoreCursor(saved);
        assertArrayEquals(next, resumed.sample(5, new SplittableRandom(99)));
    }

    @Test
    void timestepListsAndSigmaLists() {
        assertArrayEquals(new double[] {1.0, 0.5, 0.02}, CustomTimesteps.parse("1000, 500, 20", CustomTimesteps.DrawMode.PER_SAMPLE).sigmas(), 1e-15);
        assertArrayEquals(new double[] {1.0, 0.5}, CustomTimesteps.parse("1.0, 0.5", CustomTimesteps.DrawMode.PER_SAMPLE).sigmas(), 0);
        // values above 1 make the whole list timesteps, clamped to [0, 1000]
        assertArrayEquals(new double[] {1.0, 0.0005, 0}, CustomTimesteps.of(new double[] {1200, 0.5, -3}, CustomTimesteps.DrawMode.PER_SAMPLE).sigmas(), 1e-15);
    }

    @Test
    void sameSeedSameDraws() {
        TimestepSampler[] samplers = {new TimestepSampler.Uniform(2), new TimestepSampler.LogitNormal(0, 1),
                new TimestepSampler.Mode(0.8), new TimestepSampler.Sd3Index(3),
                CustomTimesteps.parse("1,0.5,0.2", CustomTimesteps.DrawMode.PER_SAMPLE)};
        for (TimestepSampler s : samplers) {
            double[] a = s.sample(64, new SplittableRandom(42));
            double[] b = s.sample(64, new SplittableRandom(42));
            double[] c = s.sample(64, new SplittableRandom(43));
            assertArrayEquals(a, b, s.toString());
            assertTrue(!Arrays.equals(a, c), s + " ignores its seed");
        }
    }

    @Test
    void lossWeightings() {
        assertEquals(1, LossWeighting.NONE.weight(0.3), 0);
        assertEquals(1 / 0.09, LossWeighting.SIGMA_SQRT.weight(0.3), 1e-12);
        assertEquals(2 / Math.PI, LossWeighting.COSMAP.weight(0), 1e-15);
        assertEquals(4 / Math.PI, LossWeighting.COSMAP.weight(0.5), 1e-15);
        assertEquals(LossWeighting.COSMAP, LossWeighting.fromId("cosmap"));
        assertEquals(LossWeighting.SIGMA_SQRT, LossWeighting.fromId("sigma_sqrt"));
    }

    @Test
    void badLists() {
        assertMessage("'abc'", () -> CustomTimesteps.parse("1,abc", CustomTimesteps.DrawMode.PER_SAMPLE));
        assertMessage("empty", () -> CustomTimesteps.parse(" ", CustomTimesteps.DrawMode.PER_SAMPLE));
        assertMessage("''", () -> CustomTimesteps.parse("1,,2", CustomTimesteps.DrawMode.PER_SAMPLE));
        assertMessage("'Infinity'", () -> CustomTimesteps.parse("1,Infinity", CustomTimesteps.DrawMode.PER_SAMPLE));
        assertMessage("empty", () -> CustomTimesteps.of(new double[0], CustomTimesteps.DrawMode.PER_SAMPLE));
        assertMessage("batch 0", () -> new TimestepSampler.Uniform().sample(0, new SplittableRandom(1)));
        assertMessage("std 0.0", () -> new TimestepSampler.LogitNormal(0, 0));
        assertMessage("'sideways'", () -> CustomTimesteps.DrawMode.fromId("sideways"));
        assertMessage("cursor -1", () -> CustomTimesteps.parse("1", CustomTimesteps.DrawMode.ROUND_ROBIN).restoreCursor(-1));
    }
}
