package org.flowlab.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;
import org.flowlab.model.Engines;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;

/**
 * A long computation (a training run, a pre-generation, a sweep) on its own thread, so a notebook stays usable:
 * pause after the step in progress, resume, stop at the next step boundary, wait for the result. The work reports
 * through the listener it is given; pausing waits inside that listener, so the work's state is always consistent.
 *
 * @param <T> what the work returns
 */
public final class BackgroundRun<T> {
    private final String name;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile T result;
    private volatile Throwable error;
    private final Object pauseLock = new Object();
    private final Thread thread;
    private volatile boolean paused;
    private volatile Progress latest;

    private BackgroundRun(String name, ThreadFactory threads, Function<ProgressListener, T> work, ProgressListener listener) {
        this.name = name;
        ProgressListener watching = new ProgressListener() {
            @Override
            public void onProgress(Progress p) {
                latest = p;
                ProgressListener.notify(listener, p);
                waitWhilePaused();
            }

            @Override
            public void onFinished(Progress last, Throwable e) {
                if (listener != null) {
                    listener.onFinished(last, e);
                }
            }
        };
        this.thread = threads.newThread(() -> {
            try {
                Engines.prepareThread(); // grad mode is per thread (DJL-NOTES)
                result = work.apply(watching);
            } catch (Throwable e) {
                error = e;
            } finally {
                done.countDown();
            }
        });
        thread.setName(name);
        thread.setDaemon(true);
    }

    /** Starts {@code work} on a new daemon thread made by {@code threads}. */
    public static <T> BackgroundRun<T> start(String name, ThreadFactory threads, Function<ProgressListener, T> work,
                                             ProgressListener listener) {
        BackgroundRun<T> run = new BackgroundRun<>(name, threads, work, listener);
        run.thread.start();
        return run;
    }

    /** Starts {@code work} on a plain new thread. */
    public static <T> BackgroundRun<T> start(String name, Function<ProgressListener, T> work, ProgressListener listener) {
        return start(name, Thread::new, work, listener);
    }

    public String name() {
        return name;
    }

    /** Holds the run after the step in progress. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        synchronized (pauseLock) {
            paused = false;
            pauseLock.notifyAll();
        }
    }

    public boolean isPaused() {
        return paused;
    }

    /** Asks the run to end at its next step boundary (an interrupt of its thread), without waiting. */
    public void cancel() {
        thread.interrupt();
        resume();
    }

    /** Ends the run at the next step boundary and waits for it. */
    public void stop() throws InterruptedException {
        cancel();
        join();
    }

    /** Waits for the end, however it came. */
    public void join() throws InterruptedException {
        done.await();
    }

    /** Waits for the result; rethrows what the work threw; an interrupted wait cancels the run. */
    public T await() throws InterruptedException {
        try {
            done.await();
        } catch (InterruptedException e) {
            cancel();
            throw e;
        }
        Throwable e = error;
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e != null) {
            throw new IllegalStateException(name + " failed", e);
        }
        return result;
    }

    public boolean isRunning() {
        return done.getCount() > 0;
    }

    /** Why it ended, if not by finishing (an interrupt shows as a RunInterruptedException); null otherwise. */
    public Throwable error() {
        return error;
    }

    public Progress latest() {
        return latest;
    }

    private void waitWhilePaused() {
        synchronized (pauseLock) {
            while (paused) {
                try {
                    pauseLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // keep the flag: the loop stops at its next check
                    return;
                }
            }
        }
    }

    @Override
    public String toString() {
        Progress p = latest;
        Throwable e = error();
        String state = isRunning() ? (paused ? "paused" : "running") : e == null ? "finished" : "stopped";
        return name + " " + state + (p == null ? "" : ": " + p) + (e == null ? "" : " (" + e.getMessage() + ")");
    }
}
