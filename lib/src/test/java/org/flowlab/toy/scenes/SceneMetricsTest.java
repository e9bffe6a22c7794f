package org.flowlab.toy.scenes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.flowlab.eval.Estimate;
import org.flowlab.model.Engines;
import org.junit.jupiter.api.Test;

class SceneMetricsTest {
    @Test
    void promptSetsAreDistinctAndOnTheirSideOfTheHeldOutLine() {
        List<String> in = SceneMetrics.heldInPrompts(40, 0);
        List<String> out = SceneMetrics.heldOutPrompts(40, 0);
        assertEquals(40, new HashSet<>(in).size());
        assertEquals(40, new HashSet<>(out).size());
        assertEquals(in, SceneMetrics.heldInPrompts(40, 0), "the same set every time");
        SceneMetrics metrics = new SceneMetrics(null, 2);
        in.forEach(p -> assertEquals("held-in", metrics.setOf(p), p));
        out.forEach(p -> assertEquals("held-out", metrics.setOf(p), p));
        assertEquals("other", metrics.setOf("a purple circle"));
        assertTrue(in.stream().anyMatch(p -> SceneCaptions.parse(p).named() <= 2), "short captions among them");
    }

    @Test
    void realScenesAreAtFrechetZeroAndNoiseIsFarWithIntervals() {
        Engines.prepareThread();
        try (SceneClassifier judge = new SceneClassifier(Device.cpu(), 3)) {
            SceneMetrics metrics = new SceneMetrics(judge, 2);
            List<String> prompts = new ArrayList<>();
            List<float[]> real = new ArrayList<>();
            List<float[]> noise = new ArrayList<>();
            java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
            for (String p : SceneMetrics.heldInPrompts(6, 1)) {
                for (int k = 0; k < 2; k++) {
                    prompts.add(p);
                    real.add(Scenes.render(SceneCaptions.parse(p), 1_000_000 + k).image());
                    float[] n = new float[3 * 64 * 64];
                    for (int i = 0; i < n.length; i++) {
                        n[i] = (float) (rng.nextDouble() * 2 - 1);
                    }
                    noise.add(n);
                }
            }
            long[] shape = {3, 64, 64};
            var ofReal = metrics.estimate("held-in", prompts, real.toArray(float[][]::new), shape);
            var ofNoise = metrics.estimate("held-in", prompts, noise.toArray(float[][]::new), shape);
            assertEquals(0, ofReal.get(SceneMetrics.FRECHET).value(), 1e-6, "the real scenes themselves");
            Estimate far = ofNoise.get(SceneMetrics.FRECHET);
            assertTrue(far.hasInterval() && far.clearlyAbove(ofReal.get(SceneMetrics.FRECHET)), far + " vs "
                    + ofReal.get(SceneMetrics.FRECHET));
            double a = ofReal.get(SceneMetrics.ADHERENCE).value();
            assertTrue(a >= 0 && a <= 1, "adherence is a fraction: " + a);
        }
    }
}
