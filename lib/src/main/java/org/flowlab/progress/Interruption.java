package org.flowlab.progress;

import java.util.concurrent.CancellationException;

/**
 * The check every long loop makes between steps, so a kernel interrupt (or {@code Thread.interrupt()}) stops it
 * at a step boundary, with every weight set, EMA and checkpoint in the state the last whole step left.
 */
public final class Interruption {
    private Interruption() {
    }

    /**
     * @throws RunInterruptedException if the current thread was interrupted (the flag is consumed)
     */
    public static void check(String where) {
        if (Thread.interrupted()) {
            throw new RunInterruptedException("interrupted " + where);
        }
    }

    /** An interrupted loop: the state it leaves is consistent, the step in progress was not applied. */
    public static final class RunInterruptedException extends CancellationException {
        private static final long serialVersionUID = 1L;

        public RunInterruptedException(String message) {
            super(message);
        }
    }
}
