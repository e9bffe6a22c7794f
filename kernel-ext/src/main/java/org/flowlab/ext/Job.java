package org.flowlab.ext;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.flowlab.kernel.ExecutionThreads;
import org.flowlab.progress.ProgressListener;

/**
 * A long computation running on its own kernel thread (per-thread initializers applied) with a
 * {@link LiveDisplay}: the cell that starts it returns at once, the display keeps updating under it, and later
 * cells can {@link #await()} the result. Interrupting a cell that awaits a job cancels the job; the job stops at
 * its next {@code Interruption.check}.
 *
 * <pre>{@code var job = Job.start("Euler sweep", listener -> EulerSweep.demo(1).run(listener));
 * job.await();}</pre>
 */
public final class Job<T> {
    private final String name;
    private final LiveDisplay display;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Thread thread;

    private Job(String name, Function<ProgressListener, T> work) {
        this.name = name;
        this.display = LiveDisplay.open(name);
        this.thread = ExecutionThreads.newThread("flowlab-job", () -> {
            try {
                result.complete(work.apply(display));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
    }

    /** Opens a live display in the calling cell and starts {@code work} on a new thread, reporting to it. */
    public static <T> Job<T> start(String name, Function<ProgressListener, T> work) {
        Job<T> job = new Job<>(name, work);
        job.thread.start();
        return job;
    }

    public LiveDisplay display() {
        return display;
    }

    public boolean isDone() {
        return result.isDone();
    }

    /** Asks the job to stop (an interrupt of its thread: it stops at the next step boundary). */
    public void cancel() {
        thread.interrupt();
    }

    /** Waits for the result; rethrows what the job threw. */
    public T await() throws InterruptedException {
        try {
            return result.get();
        } catch (InterruptedException e) {
            cancel();
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("job '" + name + "' failed", cause);
        } catch (CancellationException e) {
            throw new IllegalStateException("job '" + name + "' was cancelled", e);
        }
    }

    @Override
    public String toString() {
        String state = !result.isDone() ? "running" : result.isCompletedExceptionally() ? "failed" : "done";
        return "Job '" + name + "' " + state;
    }
}
