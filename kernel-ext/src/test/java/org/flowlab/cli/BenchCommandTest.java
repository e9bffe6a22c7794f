package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.flowlab.model.DiffusionModel;
import org.flowlab.toy.DiTConfig;
import org.flowlab.toy.ToyModel;
import org.junit.jupiter.api.Test;

/** The bench commands in smoke mode (one step, no peer): they run and print their table; no timing is asserted. */
class BenchCommandTest {

    @Test
    void benchTrainPrintsARowPerSettingWithTheModelsParameterCount() {
        var r = ScheduleCommandTest.run("bench", "train", "--width", "32", "--batch", "2", "--threads", "1", "--steps", "1",
                "--warmup", "0", "--rounds", "1", "--peer", "none");
        assertEquals(0, r.exitCode(), r.err());
        long params;
        try (DiffusionModel m = ToyModel.create(DiTConfig.toy().withSize(32, DiTConfig.toy().depth(), 1), Device.cpu(), 1)) {
            params = m.transformer().parameters().count() + m.textEncoder().parameters().count();
        }
        String row = r.out().lines().filter(l -> l.startsWith("| 1 | 32 | 2 |")).findFirst().orElseThrow(
                () -> new AssertionError("no row for 1 thread, width 32, batch 2:\n" + r.out()));
        assertTrue(row.contains(String.format(java.util.Locale.ROOT, "| %,d |", params)), row);
    }

    @Test
    void benchTrainRefusesABadWidthAndAMissingPeerNamingThem() {
        var width = ScheduleCommandTest.run("bench", "train", "--width", "48", "--peer", "none");
        assertEquals(2, width.exitCode());
        assertTrue(width.err().contains("--width 48"), width.err());
        var peer = ScheduleCommandTest.run("bench", "train", "--peer", "/no/such/python");
        assertEquals(2, peer.exitCode());
        assertTrue(peer.err().contains("/no/such/python") && peer.err().contains("make_peer_env.sh"), peer.err());
    }

    @Test
    void benchScfmCountsThePassesOfBothSteps() {
        var r = ScheduleCommandTest.run("bench", "scfm", "--batch", "2", "--t-skip", "2", "--steps", "1", "--warmup", "0",
                "--rank", "2");
        assertEquals(0, r.exitCode(), r.err());
        String row = r.out().lines().filter(l -> l.startsWith("| 2 | 2 |")).findFirst().orElseThrow(
                () -> new AssertionError("no row for batch 2, t_skip 2:\n" + r.out()));
        // flow matching: one pass per sample; SCFM: two jump passes per sample (teacher or fast EMA, then slow EMA),
        // then the student's own
        assertTrue(row.contains("| 1.67 |") && row.contains("| bench-fm 2.0 |") && row.contains("student 2.0"), row);
    }

    @Test
    void benchSampleTimesEveryMethodUnmergedAndMerged() {
        var r = ScheduleCommandTest.run("bench", "sample", "--repeats", "1", "--batch", "1", "--scfm-steps", "3");
        assertEquals(0, r.exitCode(), r.err());
        for (String start : new String[] {"| teacher@32 | - | 32 | 1 |", "| scfm@3 | unmerged | 3 | 1 |",
                "| scfm@3 | merged | 3 | 1 |", "| glance@10 | unmerged (two) | 10 | 1 |"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(start)), start + " missing:\n" + r.out());
        }
    }

    @Test
    void benchPeakPutsTheStepsConfigFlopsBesideTheMatmulPeak() {
        var r = ScheduleCommandTest.run("bench", "peak", "--width", "32", "--batch", "2", "--steps", "1", "--warmup", "0",
                "--size", "128", "--threads", "1");
        assertEquals(0, r.exitCode(), r.err());
        long flops;
        try (DiffusionModel m = ToyModel.create(DiTConfig.toy().withSize(32, DiTConfig.toy().depth(), 1), Device.cpu(), 1)) {
            flops = 3 * (ToyModel.transformer(m).forwardFlops(2) + ToyModel.textEncoder(m).forwardFlops(2));
        }
        String row = r.out().lines().filter(l -> l.startsWith("| 1 |")).findFirst().orElseThrow(
                () -> new AssertionError("no row:\n" + r.out()));
        assertTrue(row.contains(String.format(java.util.Locale.ROOT, "| %.2f |", flops / 1e9)), flops + ": " + row);
    }

    @Test
    void benchMemoryReadsTheResidentSizeAtEachInterval() {
        var r = ScheduleCommandTest.run("bench", "memory", "--steps", "4", "--every", "2", "--batch", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("| 2 |") && r.out().contains("| 4 |") && r.out().contains("| +0.0 |"), r.out());
    }
}
