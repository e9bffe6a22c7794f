package org.flowlab.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.junit.jupiter.api.Test;

class GaussianMixture2DTest {

    @Test
    void atPureNoiseTheVelocityPointsAwayFromTheMean() {
        // sigma = 1: x is pure noise, E[noise | x] = x, E[x0 | x] = the mixture mean
        GaussianMixture2D g = new GaussianMixture2D(new double[][] {{1, 0}, {0, 3}}, 0.2, new double[] {1, 1});
        double[] v = g.velocity(0.7, -0.4, 1.0);
        assertEquals(0.7 - 0.5, v[0], 1e-12);
        assertEquals(-0.4 - 1.5, v[1], 1e-12);
    }

    @Test
    void manyEulerStepsRecoverASingleGaussian() {
        GaussianMixture2D one = new GaussianMixture2D(new double[][] {{1.5, -0.5}}, 0.3, new double[] {1});
        double[][] pts = new EulerSweep(one, new int[] {200}, 4000, 7, 0).sample(200);
        double mx = 0;
        double my = 0;
        for (double[] p : pts) {
            mx += p[0] / pts.length;
            my += p[1] / pts.length;
        }
        double var = 0;
        for (double[] p : pts) {
            var += ((p[0] - mx) * (p[0] - mx) + (p[1] - my) * (p[1] - my)) / (2 * pts.length);
        }
        assertEquals(1.5, mx, 0.03);
        assertEquals(-0.5, my, 0.03);
        assertEquals(0.3, Math.sqrt(var), 0.02, "the flow maps N(0, I) onto the target's spread");
    }

    @Test
    void moreStepsGiveBetterSamplesAndEveryStageIsReported() {
        List<Progress> seen = new ArrayList<>();
        EulerSweep sweep = new EulerSweep(GaussianMixture2D.ring(8, 2, 0.15), new int[] {1, 4, 32}, 1000, 3, 0);
        EulerSweep.Result r = sweep.run(seen::add);
        assertEquals(3, r.stages().size());
        assertTrue(r.stages().get(0).nll() > r.stages().get(2).nll() + 1, r.toString());
        assertEquals(4, seen.size(), "a start report and one per step count");
        assertEquals(3, seen.get(3).step());
        assertTrue(seen.get(3).done());
        EulerSweep.Result preview = assertInstanceOf(EulerSweep.Result.class, seen.get(3).preview());
        assertEquals(3, preview.stages().size(), "the last report previews every stage");
        assertTrue(r.bundle().png().isPresent());
    }

    @Test
    void anInterruptedThreadStopsTheSweepAndTheListenerHearsIt() {
        Throwable[] finished = new Throwable[1];
        ProgressListener l = new ProgressListener() {
            @Override
            public void onProgress(Progress p) {
            }

            @Override
            public void onFinished(Progress last, Throwable error) {
                finished[0] = error;
            }
        };
        Thread.currentThread().interrupt();
        EulerSweep sweep = new EulerSweep(GaussianMixture2D.ring(3, 1, 0.1), new int[] {5}, 10, 1, 0);
        assertThrows(Interruption.RunInterruptedException.class, () -> sweep.run(l));
        assertTrue(finished[0] instanceof Interruption.RunInterruptedException);
        assertTrue(!Thread.currentThread().isInterrupted(), "the check consumed the flag");
    }

    @Test
    void badMixturesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GaussianMixture2D(new double[][] {{0, 0}}, 0, new double[] {1}));
        assertTrue(e.getMessage().contains("std 0.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EulerSweep(GaussianMixture2D.ring(2, 1, 1), new int[] {0}, 1, 1, 0));
    }
}
