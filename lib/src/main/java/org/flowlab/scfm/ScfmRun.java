package org.flowlab.scfm;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.flowlab.nn.Engines;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;

/**
 * An SCFM run on its own thread, so a notebook stays usable: turn knobs on the {@link Scfm} while it runs, pause,
 * resume, stop. Stopping (or an interrupt) ends it at a step boundary with every weight set consistent.
 */
public final class ScfmRun {
    private final Scfm scfm;
    private final Thread thread;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Object pauseLock = new Object();
    private volatile boolean paused;
    private volatile Throwable error;
    private volatile Progress latest;

    private ScfmRun(Scfm scfm, long totalSteps, ProgressListener listener, int previewEvery, Path checkpoint,
                    int checkpointEvery) {
        this.scfm = scfm;
        ProgressListener watching = new ProgressListener() {
            @Override
            public void onProgress(Progress p) {
                latest = p;
                listener.onProgress(p);
                waitWhilePaused();
            }

            @Override
            public void onFinished(Progress last, Throwable e) {
                listener.onFinished(last, e);
            }
        };
        this.thread = new Thread(() -> {
            try {
                Engines.prepareThread();
                scfm.train(totalSteps, watching, previewEvery, checkpoint, checkpointEvery);
            } catch (Throwable e) {
                error = e;
            } finally {
                finished.countDown();
            }
        }, "scfm-train");
        thread.setDaemon(true);
    }

    /** Starts training in the background until {@code totalSteps} steps are done. */
    public static ScfmRun start(Scfm scfm, long totalSteps, ProgressListener listener, int previewEvery,
                                Path checkpoint, int checkpointEvery) {
        ScfmRun run = new ScfmRun(scfm, totalSteps, listener, previewEvery, checkpoint, checkpointEvery);
        run.thread.start();
        return run;
    }

    public Scfm scfm() {
        return scfm;
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

    /** Ends the run at the next step boundary and waits for it. */
    public void stop() throws InterruptedException {
        thread.interrupt();
        resume();
        finished.await();
    }

    public void join() throws InterruptedException {
        finished.await();
    }

    public boolean isRunning() {
        return finished.getCount() > 0;
    }

    /** Why it ended, if not by finishing (an interrupt shows as a RunInterruptedException). */
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
        return "SCFM run " + (isRunning() ? (paused ? "paused" : "running") : "finished") + (p == null ? "" : ": " + p)
                + (error == null ? "" : " (" + error.getMessage() + ")");
    }
}
