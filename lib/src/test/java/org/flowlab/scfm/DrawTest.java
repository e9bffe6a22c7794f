package org.flowlab.scfm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Statistics of the draws over 40k samples (seeded). Frequencies are checked to 4 standard errors of a binomial
 * proportion (false alarm ~6e-5 per check; fixed seeds make a pass repeatable).
 */
class DrawTest {
    static final int N = 40_000;
    static final long[] TOY = {3, 32, 32};

    static void assertFrequency(double p, long hits, long n, String what) {
        double se = Math.sqrt(p * (1 - p) / n);
        assertEquals(p, hits / (double) n, 4 * se, what);
    }

    @Test
    void releasedSettings() {
        ScfmConfig c = ScfmConfig.official().toBuilder().seed(11).build();
        List<Draw> draws = Scfm.plan(c, N, 0, TOY);
        assertEquals(N, draws.size());
        long teacher = draws.stream().filter(d -> d.kind() == Draw.Kind.TEACHER).count();
        assertFrequency(0.4, teacher, N, "teacher fraction");
        long dynamic = draws.stream().filter(Draw::dynamic).count();
        assertFrequency(0.1, dynamic, N, "dynamic-shift frequency");
        double dynamicShift = Math.exp(org.flowlab.schedule.SchedulePreset.FLUX_DEV.config().dynamic().mu(32, 32));
        long[] selfCounts = new long[17];
        long self = 0;
        for (Draw d : draws) {
            assertTrue(d.j() % 2 == 0 && d.j() >= 0 && d.j() + 2 <= d.n(), "j " + d.j() + " with n " + d.n());
            if (d.kind() == Draw.Kind.TEACHER) {
                assertEquals(32, d.n());
            } else {
                assertTrue(List.of(2, 4, 8, 16).contains(d.n()), "self n " + d.n());
                selfCounts[d.n()]++;
                self++;
            }
            if (d.dynamic()) {
                assertEquals(dynamicShift, d.shift(), 1e-12);
            } else {
                assertTrue(d.shift() >= 2.5 && d.shift() < 4.5, "shift " + d.shift());
            }
            double[] g = d.grid();
            assertEquals(d.n() + 1, g.length);
            assertEquals(1 - 1e-5, g[0], 1e-15);
            assertEquals(0, g[d.n()], 0);
            assertEquals(g[d.j()], d.sigma(), 0);
            assertEquals(g[d.j()] - g[d.j() + 1], d.d0(), 1e-15);
            assertEquals(g[d.j() + 1] - g[d.j() + 2], d.d1(), 1e-15);
        }
        for (int n : new int[] {2, 4, 8, 16}) {
            assertFrequency(0.25, selfCounts[n], self, "self n = " + n);
        }
        // j uniform over the segments of a teacher grid: 16 choices
        long[] js = new long[32];
        draws.stream().filter(d -> d.kind() == Draw.Kind.TEACHER).forEach(d -> js[d.j()]++);
        for (int j = 0; j < 32; j += 2) {
            assertFrequency(1.0 / 16, js[j], teacher, "teacher j = " + j);
        }
        // the static shift is uniform: a quarter of the static draws fall below 3.0
        long below3 = draws.stream().filter(d -> !d.dynamic() && d.shift() < 3.0).count();
        assertFrequency(0.25, below3, N - dynamic, "shift < 3.0");
    }

    @Test
    void largerTSkipAndNonShortcut() {
        ScfmConfig c = ScfmConfig.official().toBuilder().tSkip(4).nonShortcutRatio(0.3).seed(5).build();
        assertEquals(List.of(4, 8, 16), Draw.selfGridSizes(c));
        List<Draw> draws = Scfm.plan(c, 8 * 1000, 0, TOY);
        for (int i = 0; i < draws.size(); i++) {
            Draw d = draws.get(i);
            // ceil(8 * 0.3) = 3: the first three of every batch take the plain target
            assertEquals(i % 8 < 3, d.kind() == Draw.Kind.NON_SHORTCUT, "sample " + i);
            assertTrue(d.j() % 4 == 0 && d.j() + 4 <= d.n());
            assertEquals(d.grid()[d.j()] - d.grid()[d.j() + 2], d.d0(), 1e-15);
            assertEquals(d.grid()[d.j() + 2] - d.grid()[d.j() + 4], d.d1(), 1e-15);
        }
    }

    @Test
    void planIsDeterministicPerSeed() {
        ScfmConfig c = ScfmConfig.official().toBuilder().seed(3).build();
        assertEquals(Scfm.plan(c, 50, 0, TOY).toString(), Scfm.plan(c, 50, 0, TOY).toString());
        assertTrue(!Scfm.plan(c, 50, 0, TOY).toString().equals(Scfm.plan(c.toBuilder().seed(4).build(), 50, 0, TOY).toString()));
    }

    @Test
    void badKnobsAreNamed() {
        ScfmConfig c = ScfmConfig.official();
        assertMessage("t_skip 3", () -> c.toBuilder().tSkip(3).build());
        assertMessage("t_skip 0", () -> c.toBuilder().tSkip(0).build());
        assertMessage("t_skip 64", () -> c.toBuilder().tSkip(64).build());
        assertMessage("teacher_ratio 1.5", () -> c.toBuilder().teacherRatio(1.5).build());
        assertMessage("teacher_ratio -0.1", () -> c.toBuilder().teacherRatio(-0.1).build());
        assertMessage("non_shortcut_ratio 2.0", () -> c.toBuilder().nonShortcutRatio(2).build());
    }

    static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), e.getMessage() + " lacks " + fragment);
    }

    @Test
    void aPhasedRunDrawsSegmentsOnlyInsideItsPhase() {
        double split = 0.6;
        for (ScfmConfig.Phase phase : List.of(ScfmConfig.Phase.slow(split), ScfmConfig.Phase.fast(split))) {
            ScfmConfig c = ScfmConfig.official().toBuilder().seed(5).phase(phase).build();
            List<Draw> draws = Scfm.plan(c, 4000, 0, TOY);
            java.util.Set<Integer> grids = new java.util.TreeSet<>();
            for (Draw d : draws) {
                double from = d.grid()[d.j()];
                double to = d.grid()[d.j() + c.tSkip()];
                assertTrue(from <= phase.high() && to >= phase.low(), phase + ": segment " + from + " .. " + to);
                grids.add(d.n());
            }
            // a 2-point grid's one segment spans sigma 1 to 0 and fits neither phase; the finer grids stay in the draw
            // (a 4-point one at shift >= 2.5 has no segment below 0.6: [1, 0.9, 0.75, 0.5, 0] at shift 3)
            assertTrue(!grids.contains(2) && grids.containsAll(List.of(8, 16, 32)), phase + ": grids " + grids);
        }
        // the released recipe draws from the whole range: segments cross the split
        assertTrue(Scfm.plan(ScfmConfig.official(), 4000, 0, TOY).stream()
                .anyMatch(d -> d.grid()[d.j()] > split && d.grid()[d.j() + 2] < split));
    }

    @Test
    void aPhaseNoGridCanServeIsRefusedNamingIt() {
        ScfmConfig c = ScfmConfig.official().toBuilder().phase(new ScfmConfig.Phase(0.999, 0.998)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scfm.plan(c, 1, 0, TOY));
        assertTrue(e.getMessage().contains("0.999"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ScfmConfig.Phase(0.5, 0.6));
    }
}
