package org.flowlab.kernel;

/** One kernel per test JVM (cells reach the kernel through statics), shared by the test classes. */
final class TestKernel {
    private static FlowlabKernel kernel;

    private TestKernel() {
    }

    static synchronized FlowlabKernel get() {
        if (kernel == null) {
            kernel = FlowlabKernel.start("test", System.getProperty("java.class.path"),
                    new OutputRouter(System.out, System.err));
        }
        return kernel;
    }

    /** Runs a cell and returns what it showed. */
    static Ran run(String code) {
        return run(code, new RecordingOutput());
    }

    static Ran run(String code, RecordingOutput out) {
        FlowlabKernel.CellRun r = get().executeCell(code, out, true);
        return new Ran(r, out);
    }

    record Ran(FlowlabKernel.CellRun run, RecordingOutput out) {
        String resultText() {
            return run.result().map(RecordingOutput::text).orElse(null);
        }

        EvalOutcome.Failure failure() {
            if (run.outcome() instanceof EvalOutcome.Failure f) {
                return f;
            }
            throw new AssertionError("the cell did not fail: " + run.outcome());
        }

        Object value() {
            if (run.outcome() instanceof EvalOutcome.Success s) {
                return s.value().orElse(null);
            }
            throw new AssertionError("the cell failed: " + run.outcome());
        }
    }
}
