package org.flowlab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Interrupts of the three kinds of running cell; each time the next cell must work. */
class InterruptTest {

    /** Starts the cell, interrupts it once it runs, and returns how it ended. */
    static TestKernel.Ran interrupted(String code) throws Exception {
        TestKernel.get();
        RecordingOutput out = new RecordingOutput();
        CompletableFuture<TestKernel.Ran> cell = CompletableFuture.supplyAsync(
                () -> TestKernel.run("{ System.out.println(\"started\");\n" + code + "\n}", out));
        for (int i = 0; i < 600 && !out.stream("stdout").contains("started"); i++) {
            Thread.sleep(50);
        }
        Thread.sleep(200);
        TestKernel.get().interrupt();
        // generous: this guards against a hang, it does not measure anything
        TestKernel.Ran r = cell.get(60, TimeUnit.SECONDS);
        TestKernel.Ran after = TestKernel.run("1 + 1");
        assertEquals("2", after.resultText(), "the kernel works after the interrupt: " + r.run().outcome() + " then " + after.run().outcome());
        return r;
    }

    @Test
    void sleepingCell() throws Exception {
        TestKernel.Ran r = interrupted("Thread.sleep(600_000);");
        assertTrue(r.failure().interrupted(), r.failure().toString());
        assertTrue(String.join("\n", r.failure().traceback()).contains("InterruptedException"));
    }

    @Test
    void tightLoopInCellCode() throws Exception {
        TestKernel.Ran r = interrupted("long n = 0;\nwhile (n >= 0) { n++; if (n == Long.MAX_VALUE) n = 0; }");
        assertTrue(r.failure().interrupted(), r.failure().toString());
    }

    @Test
    void libraryLoopStopsAtAStepBoundary() throws Exception {
        TestKernel.Ran r = interrupted("new org.flowlab.demo.EulerSweep(org.flowlab.demo.GaussianMixture2D.ring(8, 2, 0.1),"
                + " java.util.stream.IntStream.generate(() -> 20_000).limit(10_000).toArray(), 64, 1, 0)"
                + ".run(org.flowlab.progress.ProgressListener.NONE);");
        assertTrue(r.failure().interrupted(), r.failure().toString());
        assertTrue(String.join("\n", r.failure().traceback()).contains("RunInterruptedException"),
                "the loop's own check stopped it, no hard stop: " + r.failure().traceback());
    }

    @Test
    void interruptWhenIdleDoesNothing() {
        TestKernel.get().interrupt();
        assertEquals("3", TestKernel.run("1 + 2").resultText());
    }
}
