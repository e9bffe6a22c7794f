package org.flowlab.cli;

import java.io.PrintWriter;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;

/** Progress as a line on stderr at most every {@code intervalSeconds} (and at the end). */
final class ConsoleProgress implements ProgressListener {
    private final PrintWriter err;
    private final double intervalSeconds;
    private double lastPrinted = -1e9;

    ConsoleProgress(PrintWriter err, double intervalSeconds) {
        this.err = err;
        this.intervalSeconds = intervalSeconds;
    }

    @Override
    public void onProgress(Progress p) {
        if (p.elapsedSeconds() - lastPrinted >= intervalSeconds || p.done()) {
            lastPrinted = p.elapsedSeconds();
            err.println(p);
            err.flush();
        }
    }

    @Override
    public void onFinished(Progress last, Throwable error) {
        if (error != null) {
            err.println("stopped at step " + last.step() + ": " + error.getMessage());
            err.flush();
        }
    }
}
