package org.flowlab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.flowlab.schedule.Schedule;
import org.junit.jupiter.api.Test;

class FlowlabKernelTest {

    @Test
    void lastExpressionIsTheResult() {
        TestKernel.Ran r = TestKernel.run("int a = 2;\nint b = 3;\n\na * b");
        assertEquals("6", r.resultText());
        assertEquals(1, r.out().of("result").size());
    }

    @Test
    void declarationsAndAssignmentsShowNothing() {
        assertEquals(null, TestKernel.run("int q = 5;").resultText());
        assertEquals(null, TestKernel.run("q = 6").resultText());
        assertEquals("6", TestKernel.run("q").resultText());
    }

    @Test
    void valuesAreLiveObjectsOfTheLibrarysOwnClasses() {
        Object v = TestKernel.run("org.flowlab.schedule.Schedule.class").value();
        assertSame(Schedule.class, v, "cells and the kernel share one Schedule class");
        TestKernel.Ran r = TestKernel.run("SchedulePreset.FLUX_DEV.schedule(4, 1024, 1024)");
        assertTrue(r.value() instanceof Schedule);
        assertNotNull(r.run().result().orElseThrow().getData(MIMEType.IMAGE_PNG), "lib's renderer drew it");
        assertNotNull(r.run().result().orElseThrow().getData(MIMEType.TEXT_HTML));
    }

    @Test
    void executionCountGrowsOnlyWhenStored() {
        int before = TestKernel.run("1").run().count();
        FlowlabKernel.CellRun silent = TestKernel.get().executeCell("2", new RecordingOutput(), false);
        assertEquals(before, silent.count());
        assertEquals(before + 1, TestKernel.run("3").run().count());
    }

    @Test
    void compileErrorsShowSpanAndUnresolvedNames() {
        TestKernel.Ran r = TestKernel.run("int ok = 1;\nint y = undefinedVar + 1;");
        EvalOutcome.Failure f = r.failure();
        assertEquals("CompileError", f.ename());
        assertTrue(f.evalue().contains("undefinedVar"), f.evalue());
        String tb = String.join("\n", f.traceback());
        assertTrue(tb.contains("line 2:"), tb);
        assertTrue(tb.contains("    int y = undefinedVar + 1;\n            ^^^^^^^^^^^^"), tb);
        assertEquals(1, r.out().of("error").size());
    }

    @Test
    void runtimeErrorsNameTheCellLine() {
        TestKernel.Ran r = TestKernel.run("int z = 1;\nInteger.parseInt(\"x\" + z)");
        EvalOutcome.Failure f = r.failure();
        assertEquals("NumberFormatException", f.ename());
        assertEquals("For input string: \"x1\"", f.evalue());
        String tb = String.join("\n", f.traceback());
        assertTrue(tb.contains("In[" + r.run().count() + "] line 2"), tb);
        assertFalse(tb.contains("jdk.jshell"), "kernel plumbing is left out: " + tb);
    }

    @Test
    void laterSnippetsDoNotRunAfterAnError() {
        TestKernel.Ran r = TestKernel.run("System.out.println(\"before\");\nint w = 1 / 0;\nSystem.out.println(\"after\");");
        assertEquals("ArithmeticException", r.failure().ename());
        assertEquals("before\n", r.out().stream("stdout"));
    }

    @Test
    void stdoutAndStderrGoToTheCell() {
        TestKernel.Ran r = TestKernel.run("System.out.println(\"hello, world\"); System.err.println(\"oops\");");
        assertEquals("hello, world\n", r.out().stream("stdout"));
        assertEquals("oops\n", r.out().stream("stderr"));
    }

    @Test
    void backgroundOutputReachesTheCellThatStartedIt() throws Exception {
        TestKernel.Ran starter = TestKernel.run(
                "new Thread(() -> { try { Thread.sleep(300); } catch (InterruptedException e) { }"
                        + " System.out.println(\"late\"); }).start();");
        TestKernel.Ran other = TestKernel.run("1 + 1");
        for (int i = 0; i < 100 && !starter.out().stream("stdout").contains("late"); i++) {
            Thread.sleep(50);
        }
        assertEquals("late\n", starter.out().stream("stdout"), "printed after its cell finished, still under it");
        assertEquals("", other.out().stream("stdout"));
    }

    @Test
    void displayAndUpdateShareAnId() {
        TestKernel.Ran r = TestKernel.run("String id = display(\"first\");\nupdateDisplay(id, \"second\");\nclearOutput(true);");
        List<RecordingOutput.Event> shown = r.out().of("display");
        List<RecordingOutput.Event> updated = r.out().of("update");
        assertEquals(1, shown.size());
        assertEquals(1, updated.size());
        assertEquals(shown.get(0).text(), updated.get(0).text());
        assertEquals("second", RecordingOutput.text(updated.get(0).data()));
        assertEquals(1, r.out().of("clear").size());
    }

    @Test
    void cellsRunOnTheExecutionThreadWithInitializers() {
        ExecutionThreads.register("test-marker", () -> CellVisible.MARK.set("initialized"));
        try {
            assertEquals("initialized", TestKernel.run("org.flowlab.kernel.CellVisible.MARK.get()").resultText());
            assertTrue(TestKernel.run("Thread.currentThread().getName()").resultText().contains("flowlab-exec"));
        } finally {
            ExecutionThreads.unregister("test-marker");
        }
    }

    @Test
    void magics() {
        // the first %seed of a session reseeds DJL too, before anything else has loaded libtorch
        assertEquals("seed = 42 (reseeded: djl)", TestKernel.run("%seed 42").resultText());
        TestKernel.run("var seedProbe = ai.djl.engine.Engine.getInstance().newBaseManager()");
        String draw = "%seed 7\nseedProbe.randomNormal(new ai.djl.ndarray.types.Shape(4)).toFloatArray()[3]";
        String first = TestKernel.run(draw).resultText();
        assertNotNull(first);
        assertEquals(first, TestKernel.run(draw).resultText(), "%seed makes libtorch's draws repeat");
        TestKernel.run("seedProbe.close()");
        TestKernel.Ran info = TestKernel.run("%flowlab");
        assertTrue(info.resultText().contains("java"), info.resultText());
        assertNotNull(info.run().result().orElseThrow().getData(MIMEType.TEXT_HTML));
        TestKernel.Ran bad = TestKernel.run("%nosuch 1");
        assertTrue(bad.failure().evalue().contains("unknown magic %nosuch; known: %flowlab, %seed"), bad.failure().evalue());
        TestKernel.Ran badSeed = TestKernel.run("%seed abc");
        assertTrue(badSeed.failure().evalue().contains("seed 'abc' is not a whole number"), badSeed.failure().evalue());
    }

    @Test
    void completionInspectionAndCompleteness() {
        FlowlabKernel k = TestKernel.get();
        var c = k.complete("Schedule.ofSig", 14);
        assertTrue(c.getReplacements().contains("ofSigmas("), c.getReplacements().toString());
        assertEquals(9, c.getSourceStart());
        var m = k.complete("%se", 3);
        assertEquals(List.of("%seed"), m.getReplacements());
        assertEquals(0, m.getSourceStart());
        assertTrue(String.valueOf(k.inspect("Math.max(", 9, false).getData(MIMEType.TEXT_PLAIN)).contains("int Math.max(int a, int b)"));
        // Shift-Tab with the cursor at the end of a name (Math.max|) shows the signatures too, as inside it (Math.ma|x)
        var atEnd = k.inspect("Math.max", 8, false);
        assertTrue(atEnd != null && String.valueOf(atEnd.getData(MIMEType.TEXT_PLAIN)).contains("int Math.max(int a, int b)"),
                "found at the end of the name");
        assertTrue(String.valueOf(k.inspect("Math.max", 7, false).getData(MIMEType.TEXT_PLAIN)).contains("Math.max("));
        assertTrue(k.inspect("int x = 1; ", 11, false) == null, "nothing at a blank: not found");
        assertEquals("complete", k.isComplete("1 + 1"));
        assertEquals("    ", k.isComplete("for (int i = 0; i < 3; i++) {"));
        assertEquals("invalid", k.isComplete("}"));
    }
}
