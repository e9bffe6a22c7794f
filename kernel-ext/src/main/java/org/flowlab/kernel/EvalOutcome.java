package org.flowlab.kernel;

import java.util.List;
import java.util.Optional;

/** What running one cell came to. */
public sealed interface EvalOutcome {

    /**
     * The cell ran to the end.
     *
     * @param value the live value of the cell's last expression, when it ends with one (and it is not null)
     */
    record Success(Optional<Object> value) implements EvalOutcome {
    }

    /**
     * The cell stopped at an error; later snippets of the cell did not run.
     *
     * @param ename short name, e.g. {@code CompileError}, {@code IllegalArgumentException}, {@code Interrupted}
     * @param evalue one line saying what went wrong
     * @param traceback the lines a person reads: the span or the user-relevant stack
     */
    record Failure(String ename, String evalue, List<String> traceback) implements EvalOutcome {
        public Failure {
            traceback = List.copyOf(traceback);
        }

        public boolean interrupted() {
            return JShellEvaluator.INTERRUPTED.equals(ename);
        }
    }
}
