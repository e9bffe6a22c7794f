package org.flowlab.glance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.flowlab.toy.Captions;
import org.flowlab.toy.ToyShapes;
import org.flowlab.flow.EulerStep;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SampleResult;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.model.DiffusionModel;
import org.flowlab.progress.ProgressListener;
import org.flowlab.toy.DiTConfig;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.SchedulePreset;
import org.junit.jupiter.api.Test;

class GlanceTest {
    static final GlanceLists QWEN = GlanceLists.derive(SchedulePreset.QWEN_IMAGE, 1024, 1024);

    /**
     * 3x32x32 but tiny in width, so a test trains in seconds; the zero-initialised output and modulation layers get
     * small random values, so the blocks (and their LoRA) reach the output as in a trained model.
     */
    static DiffusionModel smallModel() {
        return org.flowlab.TestModels.awake(new DiTConfig(3, 32, 8, 32, 1, 2, 2, 16, 1, 2, 16, false, false), 4);
    }

    @Test
    void consistentPipelineVisitsTheTenSigmasThenZero() {
        try (DiffusionModel model = smallModel(); NDManager m = model.transformer().manager().newSubManager()) {
            ToyShapes.Sample s = ToyShapes.sample(3, 1);
            Glance.train(model, s.image(), s.caption(), QWEN, Glance.Config.builder().steps(2).build(), p -> { });
            SampleResult r = Pipeline.latents(model, Pipeline.Request.of(Glance.plan(QWEN)), List.of(s.caption()),
                    new long[] {1}, m, ProgressListener.NONE);
            double[] expected = QWEN.inferenceSchedule().sigmas();
            assertEquals(10, r.trace().size());
            for (int i = 0; i < 10; i++) {
                assertEquals(expected[i], r.trace().get(i).sigma(), 0);
                assertEquals(expected[i + 1], r.trace().get(i).sigmaNext(), 0);
                assertEquals(i < 5 ? "slow" : "fast", r.trace().get(i).adapter());
            }
            assertEquals(0.0, r.trace().get(9).sigmaNext(), 0, "ends at the terminal 0");
            assertEquals(0.8867053, r.trace().get(5).sigma(), 1e-6, "phase 2 starts at .8867 from phase 1's latent");
        }
    }

    @Test
    void officialQwenVariantIntegratesAboutMinus1054() {
        SamplingPlan p = Glance.officialQwenPlan(QWEN, SchedulePreset.QWEN_IMAGE.schedule(5, 1024, 1024));
        double total = p.steps().stream().mapToDouble(s -> s.sigmaNext() - s.sigma()).sum();
        assertEquals(-1.054, total, 0.005);
        for (int i = 0; i < 10; i++) {
            EulerStep s = p.steps().get(i);
            assertEquals(QWEN.inferenceSchedule().sigma(i), s.sigma(), 1e-12, "the model sees the same ten sigmas");
            assertEquals(i < 5 ? "slow" : "fast", s.adapter());
        }
        // phase 1 moves by the 50-step schedule's own step at position 0: 1 -> .98970
        assertEquals(0.9897008987101515 - 1.0, p.steps().get(0).sigmaNext() - p.steps().get(0).sigma(), 1e-12);
    }

    @Test
    void eachLoraLearnsItsOwnTimesteps() {
        try (DiffusionModel model = smallModel()) {
            ToyShapes.Sample s = ToyShapes.render(Captions.parse("a large red circle at the center on a white background"), 5);
            double[] slowSigmas = java.util.Arrays.stream(QWEN.slow()).map(t -> t / 1000).toArray();
            double[] fastSigmas = java.util.Arrays.stream(QWEN.fast()).map(t -> t / 1000).toArray();
            double[] baseSlow = Glance.lossAt(model, "base", s.image(), s.caption(), slowSigmas, 8);
            double[] baseFast = Glance.lossAt(model, "base", s.image(), s.caption(), fastSigmas, 8);
            Glance.Result r = Glance.train(model, s.image(), s.caption(), QWEN, Glance.Config.official(), p -> { });
            double[] slow = Glance.lossAt(model, "slow", s.image(), s.caption(), slowSigmas, 8);
            double[] fast = Glance.lossAt(model, "fast", s.image(), s.caption(), fastSigmas, 8);
            for (int i = 0; i < 5; i++) {
                assertTrue(slow[i] < baseSlow[i], "slow at " + slowSigmas[i] + ": " + slow[i] + " vs base " + baseSlow[i]);
                assertTrue(fast[i] < baseFast[i], "fast at " + fastSigmas[i] + ": " + fast[i] + " vs base " + baseFast[i]);
            }
            assertEquals(120, r.losses().size());
            assertTrue(r.losses().stream().filter(l -> l.phase().equals("slow")).allMatch(l -> l.sigma() > 0.9));
            assertTrue(r.losses().stream().filter(l -> l.phase().equals("fast")).allMatch(l -> l.sigma() < 0.89));
        }
    }

    @Test
    void badListsFailBeforeTraining() {
        assertThrows(IllegalArgumentException.class, () -> Glance.requireList("slow", new double[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Glance.requireList("fast", new double[] {500, 1200}));
        assertTrue(e.getMessage().contains("1200"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Glance.requireList("fast", new double[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> Glance.Variant.fromId("sideways"));
        try (DiffusionModel model = smallModel()) {
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> Glance.train(model, new float[10], "x", QWEN, Glance.Config.official(), p -> { }));
            assertTrue(size.getMessage().contains("10 values") && size.getMessage().contains("3x32x32"), size.getMessage());
            IllegalArgumentException word = assertThrows(IllegalArgumentException.class,
                    () -> Glance.train(model, new float[3 * 32 * 32], "a red zebra", QWEN, Glance.Config.official(), p -> { }));
            assertTrue(word.getMessage().contains("'zebra'"), word.getMessage());
        }
    }
}
