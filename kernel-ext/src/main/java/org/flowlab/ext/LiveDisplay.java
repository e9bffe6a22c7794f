package org.flowlab.ext;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.flowlab.kernel.FlowlabKernel;
import org.flowlab.kernel.Notebook;
import org.flowlab.kernel.OutputTarget;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.viz.MimeBundle;
import org.flowlab.viz.ProgressView;

/**
 * One notebook output that a long job updates in place ({@code update_display_data}): progress bar with
 * step/total, it/s and ETA, a chart of the job's metrics and its latest preview picture. It is the
 * {@link ProgressListener} the job reports to, from any thread, also after the cell that started the job has
 * finished; the output stays under that cell.
 *
 * <p>Reports are cheap: the drawing happens on a separate thread at most every {@value #MIN_INTERVAL_MS} ms
 * with the latest state, so a loop may report every step. The final report is always drawn.
 */
public final class LiveDisplay implements ProgressListener {
    static final long MIN_INTERVAL_MS = 250;
    /** The chart keeps this many reports; older ones are thinned out, every other one dropped. */
    private static final int MAX_HISTORY = 400;
    private static final ScheduledExecutorService DRAWER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flowlab-live-display");
        t.setDaemon(true);
        return t;
    });

    private final String id = UUID.randomUUID().toString();
    private final String title;
    private final OutputTarget target;
    private final List<Progress> history = new ArrayList<>();
    private boolean scheduled; // guarded by this
    private long lastDrawNanos;
    private volatile String footer = "";

    private LiveDisplay(String title, OutputTarget target) {
        this.title = title;
        this.target = target;
    }

    /** Shows the display now, under the calling thread's cell, and returns it. */
    public static LiveDisplay open(String title) {
        LiveDisplay d = new LiveDisplay(title, Notebook.target());
        DisplayData first = new DisplayData(title + ": starting");
        first.putHTML("<div class=\"flowlab-progress\" style=\"font-family:monospace\">" + org.flowlab.viz.Html.escape(title)
                + ": starting</div>");
        first.setDisplayId(d.id);
        d.target.display(first);
        return d;
    }

    public String displayId() {
        return id;
    }

    /** Replaces the display's content with any value the notebook can draw (a final result, say). */
    public void show(Object value) {
        DisplayData data = FlowlabKernel.current().render(value);
        data.setDisplayId(id);
        target.updateDisplay(data);
    }

    @Override
    public void onProgress(Progress progress) {
        synchronized (this) {
            history.add(progress);
            if (history.size() > MAX_HISTORY) {
                thin();
            }
            if (scheduled) {
                return;
            }
            scheduled = true;
        }
        long wait = Math.max(0, MIN_INTERVAL_MS - (System.nanoTime() - lastDrawNanos) / 1_000_000);
        DRAWER.schedule(this::drawLatest, wait, TimeUnit.MILLISECONDS);
    }

    /** Keeps the first and last report and every other one between: the chart keeps its shape. */
    private void thin() {
        List<Progress> kept = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            if (i % 2 == 0 || i == history.size() - 1) {
                kept.add(history.get(i));
            }
        }
        history.clear();
        history.addAll(kept);
    }

    @Override
    public void onFinished(Progress last, Throwable error) {
        synchronized (this) {
            if (history.isEmpty() || history.get(history.size() - 1) != last) {
                history.add(last);
            }
        }
        footer = error == null ? "" : " (stopped: " + error.getClass().getSimpleName()
                + (error.getMessage() == null ? "" : ": " + error.getMessage()) + ")";
        try {
            // drawn on the drawer thread, after any pending draw; waiting keeps "job done" after "display final"
            DRAWER.submit(this::drawLatest).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("flowlab: live display '" + title + "' could not draw its last state: " + e);
        }
    }

    private void drawLatest() {
        List<Progress> snapshot;
        synchronized (this) {
            scheduled = false;
            if (history.isEmpty()) {
                return;
            }
            snapshot = List.copyOf(history);
        }
        lastDrawNanos = System.nanoTime();
        try {
            MimeBundle b = ProgressView.of(snapshot).bundle();
            if (!footer.isEmpty()) {
                b = b.with(MimeBundle.TEXT_PLAIN, b.text() + footer)
                        .with(MimeBundle.TEXT_HTML, b.html().orElse("") + "<div style=\"color:#b00\">"
                                + org.flowlab.viz.Html.escape(footer.strip()) + "</div>");
            }
            DisplayData data = ExtensionSupport.toDisplayData(b);
            data.setDisplayId(id);
            target.updateDisplay(data);
        } catch (RuntimeException e) {
            System.err.println("flowlab: live display '" + title + "' failed to draw: " + e);
        }
    }

    @Override
    public String toString() {
        return "LiveDisplay '" + title + "' (" + id + ")";
    }
}
