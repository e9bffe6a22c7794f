package org.flowlab.progress;

/**
 * Receives {@link Progress} reports from a long loop. Called on the loop's own thread: keep it quick (a live
 * display hands the work to the kernel's sender). An exception thrown here is the listener's problem: loops
 * catch and drop it so a broken display never breaks a training run.
 */
@FunctionalInterface
public interface ProgressListener {

    void onProgress(Progress progress);

    /** Called once when the loop ends, normally or not; {@code error} is null on success. */
    default void onFinished(Progress last, Throwable error) {
    }

    ProgressListener NONE = p -> {
    };

    /** Calls the listener (none: nothing) and swallows what it throws (see the class comment). */
    static void notify(ProgressListener listener, Progress progress) {
        if (listener == null) {
            return;
        }
        try {
            listener.onProgress(progress);
        } catch (RuntimeException ignored) {
            // a display failure must not end the run
        }
    }
}
