package org.flowlab.ext;

import java.util.function.Function;
import org.flowlab.kernel.ExecutionThreads;
import org.flowlab.progress.ProgressListener;
import org.flowlab.train.BackgroundRun;

/**
 * A long computation on its own kernel thread (per-thread initializers applied) with a {@link LiveDisplay}: the
 * cell that starts it returns at once, the display keeps updating under it, and later cells can
 * {@code await()} the result. Interrupting a cell that awaits a job cancels the job; the job stops at its next
 * {@code Interruption.check}. Pause, resume and stop are {@link BackgroundRun}'s.
 *
 * <pre>{@code var job = Job.start("Euler sweep", listener -> EulerSweep.demo(1).run(listener));
 * job.await();}</pre>
 */
public final class Job {
    private Job() {
    }

    /** Opens a live display in the calling cell and starts {@code work} on a kernel thread, reporting to it. */
    public static <T> BackgroundRun<T> start(String name, Function<ProgressListener, T> work) {
        LiveDisplay display = LiveDisplay.open(name);
        return BackgroundRun.start(name, ExecutionThreads.factory("flowlab-job"), work, display);
    }
}
