package org.flowlab.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap over prompts: the prompts are drawn again with replacement, the statistic recomputed on the
 * images (and real references) of the drawn prompts, and the 2.5th and 97.5th percentiles of those values bound the
 * 95% interval. Prompts, not images, are the unit: images of one prompt are not independent draws of the method.
 */
public final class Bootstrap {
    /** Resamples per interval of a cheap statistic (a mean): stable 2.5/97.5 percentiles. */
    public static final int RESAMPLES = 400;
    /**
     * Resamples for a costly one (a Frechet distance: two 64x64 eigendecompositions each, ~9 ms): the percentiles of
     * 100 draws move by about a tenth of the interval's width, which is what a table needs.
     */
    public static final int COSTLY_RESAMPLES = 100;

    private Bootstrap() {
    }

    /**
     * @param groups how many prompts
     * @param statistic the statistic of a multiset of prompts, given as their indices (with repeats)
     * @param seed the resampling stream (fixed, so a table is reproducible)
     */
    public static Estimate overGroups(int groups, ToDoubleFunction<int[]> statistic, int resamples, long seed) {
        if (groups < 1 || resamples < 1) {
            throw new IllegalArgumentException(groups + " prompts, " + resamples + " resamples: need at least one of each");
        }
        int[] all = new int[groups];
        Arrays.setAll(all, i -> i);
        double value = statistic.applyAsDouble(all);
        if (groups == 1) {
            return Estimate.point(value); // one prompt: nothing to resample
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] draws = new double[resamples];
        int[] pick = new int[groups];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < groups; i++) {
                pick[i] = rng.nextInt(groups);
            }
            draws[r] = statistic.applyAsDouble(pick);
        }
        Arrays.sort(draws);
        return new Estimate(value, percentile(draws, 0.025), percentile(draws, 0.975));
    }

    /** The mean of per-prompt values with its interval. */
    public static Estimate mean(double[] perGroup, int resamples, long seed) {
        return overGroups(perGroup.length, idx -> {
            double s = 0;
            for (int i : idx) {
                s += perGroup[i];
            }
            return s / idx.length;
        }, resamples, seed);
    }

    /** Linear interpolation between order statistics. */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
