package org.flowlab.schedule;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.flowlab.schedule.ReferenceSchedulesTest.assertClose;

import java.util.OptionalDouble;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The SPEC-flow rules checked against closed forms written independently of the implementation: static shifts
 * compose ({@code shift(a, shift(b, x)) = shift(ab, x)}), the exponential shift with mu is the static shift e^mu,
 * and the published Glance lists.
 */
class ScheduleRulesTest {

    static double shift(double s, double x) {
        return s * x / (1 + (s - 1) * x);
    }

    /** Flux: the pipeline passes linspace(1, 1/n, n); the scheduler applies e^mu / (e^mu + 1/x - 1). */
    @ParameterizedTest
    @CsvSource({"4, 512, 512", "28, 1024, 1024", "50, 1024, 1024", "20, 1024, 768", "8, 2048, 2048", "1, 256, 256"})
    void fluxDevIsStaticShiftEToTheMuOnPipelineSigmas(int n, int w, int h) {
        double mu = 0.5 + (w / 16.0 * h / 16.0 - 256) * (1.15 - 0.5) / (4096 - 256);
        double[] expected = new double[n + 1];
        for (int i = 0; i < n; i++) {
            double x = n == 1 ? 1.0 : 1.0 - i * (1.0 - 1.0 / n) / (n - 1);
            expected[i] = shift(Math.exp(mu), x);
        }
        Schedule s = SchedulePreset.FLUX_DEV.schedule(n, w, h);
        assertClose(expected, s.sigmas(), 1e-9);
        assertEquals(mu, s.mu().orElseThrow(), 1e-12);
    }

    /** Qwen-Image: as Flux with its own mu line, then stretched so the last sigma is 0.02. */
    @ParameterizedTest
    @CsvSource({"10, 512, 512", "50, 1328, 1328", "30, 1024, 1024"})
    void qwenImageStretchesToTerminal(int n, int w, int h) {
        double mu = 0.5 + (w / 16.0 * h / 16.0 - 256) * (0.9 - 0.5) / (8192 - 256);
        double[] shifted = new double[n];
        for (int i = 0; i < n; i++) {
            shifted[i] = shift(Math.exp(mu), 1.0 - i * (1.0 - 1.0 / n) / (n - 1));
        }
        double scale = (1 - shifted[n - 1]) / 0.98;
        double[] expected = new double[n + 1];
        for (int i = 0; i < n; i++) {
            expected[i] = 1 - (1 - shifted[i]) / scale;
        }
        Schedule s = SchedulePreset.QWEN_IMAGE.schedule(n, w, h);
        assertClose(expected, s.sigmas(), 1e-9);
        assertEquals(0.02, s.sigma(n - 1), 1e-12);
        assertEquals(1.0, s.sigma(0), 1e-12);
    }

    /** SD3's default path: linspace between the shifted table ends, shifted again, so the low end is shift 9. */
    @ParameterizedTest
    @CsvSource({"28", "50", "4", "2"})
    void sd3ShiftsTheLowEndTwice(int n) {
        double sigmaMin = shift(3, 0.001);
        double[] expected = new double[n + 1];
        for (int i = 0; i < n; i++) {
            double t = 1000 + i * (1000 * sigmaMin - 1000) / (n - 1);
            expected[i] = shift(3, t / 1000);
        }
        Schedule s = SchedulePreset.SD3.schedule(n);
        assertClose(expected, s.sigmas(), 1e-9);
        // the quirk stated plainly: the last sigma is shift(9, 0.001), not shift(3, 0.001)
        assertEquals(shift(9, 0.001), s.sigma(n - 1), 1e-15);
        assertEquals(0.009 / 1.008, s.sigma(n - 1), 1e-15);
        assertTrue(s.mu().isEmpty());
    }

    @Test
    void customSigmasAreReShifted() {
        // Flux at 1024^2 (mu = 1.15): a custom 0.5 becomes sigmoid(1.15)
        Schedule flux = SchedulePreset.FLUX_DEV.request().size(1024, 1024).sigmas(1.0, 0.5).build();
        assertClose(new double[] {1.0, 1 / (1 + Math.exp(-1.15)), 0.0}, flux.sigmas(), 1e-12);
        // SD3: custom sigmas and custom timesteps both go through shift 3
        Schedule sd3 = SchedulePreset.SD3.request().sigmas(0.5, 0.25).build();
        assertClose(new double[] {0.75, 0.5, 0.0}, sd3.sigmas(), 1e-12);
        Schedule sd3t = SchedulePreset.SD3.request().timesteps(500, 250).build();
        assertClose(sd3.sigmas(), sd3t.sigmas(), 1e-12);
        assertClose(new double[] {750, 500}, sd3t.timesteps(), 1e-12);
    }

    /** SPEC-glance pitfall (a): Flux at 1024^2 turns the slow list into [1, .9933, .9862, .9784, .9701]. */
    @Test
    void simpleTunerReShiftPitfall() {
        double[] slow = GlanceLists.derive(SchedulePreset.QWEN_IMAGE, 1024, 1024).slow();
        double[] sig = new double[slow.length];
        for (int i = 0; i < slow.length; i++) {
            sig[i] = slow[i] / 1000;
        }
        Schedule reshifted = SchedulePreset.FLUX_DEV.request().size(1024, 1024).sigmas(sig).build();
        double[] expected = {1, .9933, .9862, .9784, .9701, 0};
        // quoted to ~4 decimals (our .98615 is quoted as .9862), so 1e-4
        assertWithin(expected, reshifted.sigmas(), 1e-4);
    }

    @Test
    void glanceListsOfBothPublishedPresets() {
        GlanceLists qwen = GlanceLists.derive(SchedulePreset.QWEN_IMAGE, 1024, 1024);
        // SPEC-flow quotes them to 4 decimals
        assertWithin(new double[] {1000, 979.1915, 957.5157, 934.9170, 911.3354}, qwen.slow(), 5e-5);
        assertWithin(new double[] {886.7053, 745.0727, 562.9505, 320.0802, 20.0}, qwen.fast(), 5e-5);
        GlanceLists flux = GlanceLists.derive(SchedulePreset.FLUX_DEV, 1024, 1024);
        assertWithin(new double[] {1000, 986.9786, 973.2042, 958.6094, 943.1188}, flux.slow(), 5e-5);
        assertWithin(new double[] {926.6473, 825.7017, 677.9867, 441.1997, 60.5503}, flux.fast(), 5e-5);
    }

    @Test
    void glanceInferenceScheduleIsTheListsOver1000ThenZero() {
        GlanceLists qwen = GlanceLists.derive(SchedulePreset.QWEN_IMAGE, 1024, 1024);
        double[] s = qwen.inferenceSchedule().sigmas();
        assertWithin(new double[] {1.0, .9792, .9575, .9349, .9113, .8867, .7451, .5630, .3201, .02, 0}, s, 5e-5);
        assertEquals(10, qwen.inferenceSchedule().steps());
        assertEquals(qwen.fast()[0] / 1000, s[5], 0);
    }

    @Test
    void glanceListsAtOtherPositions() {
        Schedule base = SchedulePreset.SD3.schedule(20);
        GlanceLists lists = GlanceLists.derive(base, new int[] {0, 3}, new int[] {5, 19});
        double[] t = base.timesteps();
        assertClose(new double[] {t[0], t[3]}, lists.slow(), 0);
        assertClose(new double[] {t[5], t[19]}, lists.fast(), 0);
    }

    @Test
    void shiftTerminalOverride() {
        Schedule s = SchedulePreset.SD3.request().steps(10).shiftTerminal(0.1).build();
        assertEquals(0.1, s.sigma(9), 1e-12);
        assertEquals(1.0, s.sigma(0), 1e-12);
    }

    @Test
    void muOverrideAndShiftOverride() {
        double mu = Math.log(3);
        Schedule byMu = SchedulePreset.FLUX_DEV.request().steps(12).mu(mu).build();
        Schedule byShift = SchedulePreset.FLUX_DEV.request().steps(12).shift(3).build(); // static on the same sigmas
        assertClose(byShift.sigmas(), byMu.sigmas(), 1e-12);
        assertEquals(mu, byMu.mu().orElseThrow(), 0);
        assertTrue(byShift.mu().isEmpty());
    }

    @Test
    void linearTimeShiftMode() {
        SchedulerConfig linear = new SchedulerConfig(1000, ShiftMode.LINEAR, 1, null, OptionalDouble.empty());
        Schedule s = linear.setTimesteps("lin", 0, new double[] {0.5, 0.25}, null, OptionalDouble.of(2.0));
        assertClose(new double[] {2.0 / 3.0, 2.0 / 5.0, 0}, s.sigmas(), 1e-12);
    }

    @ParameterizedTest
    @EnumSource(SchedulePreset.class)
    void everyPresetIsMonotoneFromOneToZero(SchedulePreset preset) {
        for (int n : new int[] {1, 2, 3, 10, 28, 50, 100}) {
            if (n == 1 && preset.config().shiftTerminal().isPresent()) {
                assertMessage("use at least 2 steps", () -> preset.schedule(1, 1024, 1024));
                continue;
            }
            Schedule s = preset.schedule(n, 1024, 1024);
            assertEquals(n, s.steps());
            assertEquals(0.0, s.sigma(n), 0, "terminal 0");
            assertEquals(1.0, s.sigma(0), 1e-12, "starts at 1");
            for (int i = 0; i < n; i++) {
                assertTrue(s.sigma(i + 1) < s.sigma(i), preset + " n=" + n + " not decreasing at " + i);
            }
            assertEquals(preset, SchedulePreset.fromId(preset.id()));
        }
    }

    @Test
    void scfmGridIsShiftedLinspaceWithFirstPointBelowOne() {
        double[] g = ScfmGrid.sigmas(4, TimeShift.of(3));
        assertClose(new double[] {1 - 1e-5, 0.9, 0.75, 0.5, 0}, g, 1e-12);
        double[] dyn = ScfmGrid.sigmas(2, new TimeShift.Exponential(Math.log(2)));
        assertClose(new double[] {1 - 1e-5, 2.0 / 3.0, 0}, dyn, 1e-12);
        assertEquals(3, ScfmGrid.schedule(3, TimeShift.of(3.25)).steps());
    }

    @Test
    void badInputNamesTheValue() {
        assertAll(
                () -> assertMessage("steps 0", () -> SchedulePreset.SD3.schedule(0)),
                () -> assertMessage("width 1000", () -> SchedulePreset.FLUX_DEV.schedule(10, 1000, 1024)),
                () -> assertMessage("shift -1", () -> SchedulePreset.SD3.request().steps(4).shift(-1)),
                () -> assertMessage("shift 0", () -> SchedulePreset.SD3.request().steps(4).shift(0)),
                () -> assertMessage("flux-dev", () -> SchedulePreset.FLUX_DEV.schedule(10)),
                () -> assertMessage("position 50", () -> GlanceLists.derive(SchedulePreset.SD3.schedule(50),
                        new int[] {50}, new int[] {1})),
                () -> assertMessage("'nope'", () -> SchedulePreset.fromId("nope")),
                () -> assertMessage("mu 1.0", () -> SchedulePreset.SD3.request().steps(3).mu(1.0).build()),
                () -> assertMessage("empty", () -> SchedulePreset.SD3.request().sigmas().build()),
                () -> assertMessage("NaN", () -> SchedulePreset.SD3.request().sigmas(1, Double.NaN).build()),
                () -> assertMessage("size 0", () -> ScfmGrid.sigmas(0, TimeShift.NONE)),
                () -> assertMessage("shift_terminal 1.0", () -> SchedulePreset.SD3.request().steps(3)
                        .shiftTerminal(1.0).build()));
    }

    static void assertWithin(double[] expected, double[] actual, double abs) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], abs, "index " + i);
        }
    }

    static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
