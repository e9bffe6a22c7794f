package org.flowlab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BootstrapTest {
    @Test
    void theMeansIntervalMatchesTheNormalTheory() {
        // 400 prompts with values N(0.7, 0.1): the mean's 95% interval is about +-1.96 * 0.1 / sqrt(400) = +-0.0098
        SplittableRandom rng = new SplittableRandom(1);
        double[] v = new double[400];
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.7 + 0.1 * rng.nextGaussian();
        }
        Estimate e = Bootstrap.mean(v, 2000, 7);
        double half = (e.high() - e.low()) / 2;
        assertEquals(0.0098, half, 0.0015, "half-width " + half);
        assertTrue(e.low() < e.value() && e.value() < e.high());
        assertEquals(e, Bootstrap.mean(v, 2000, 7), "a fixed seed gives the same interval");
    }

    @Test
    void intervalsSayWhenAMarginIsClear() {
        double[] a = new double[50];
        double[] b = new double[50];
        for (int i = 0; i < 50; i++) {
            a[i] = 0.9 + 0.01 * (i % 5);
            b[i] = 0.5 + 0.01 * (i % 5);
        }
        assertTrue(Bootstrap.mean(a, 400, 1).clearlyAbove(Bootstrap.mean(b, 400, 1)));
        assertFalse(Bootstrap.mean(a, 400, 1).clearlyAbove(Bootstrap.mean(a, 400, 2)), "the same data overlaps");
        assertFalse(Estimate.point(1).hasInterval());
        assertEquals("0.500 [0.400, 0.600]", new Estimate(0.5, 0.4, 0.6).toString());
    }

    @Test
    void aStatisticOfTheWholeGroupIsResampledByGroup() {
        // a ratio statistic: sum of x over sum of y per prompt group; one group of 1 has no interval
        double[] x = {1, 2, 3, 4};
        double[] y = {2, 2, 2, 2};
        Estimate e = Bootstrap.overGroups(4, idx -> {
            double sx = 0;
            double sy = 0;
            for (int i : idx) {
                sx += x[i];
                sy += y[i];
            }
            return sx / sy;
        }, 400, 3);
        assertEquals(1.25, e.value(), 1e-12);
        assertTrue(e.low() >= 0.5 && e.high() <= 2.0 && e.low() < 1.25 && e.high() > 1.25, e.toString());
        assertFalse(Bootstrap.overGroups(1, idx -> 3.0, 100, 1).hasInterval());
    }
}
