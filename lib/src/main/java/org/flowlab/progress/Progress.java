package org.flowlab.progress;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One report from a long loop: where it is, how fast it goes, the latest numbers and optionally a picture.
 *
 * @param job what is running, e.g. {@code "scfm train"}
 * @param step steps finished so far (0 before the first)
 * @param total steps planned, or 0 when unknown
 * @param elapsedSeconds wall time since the loop started
 * @param metrics the latest scalar values by name (e.g. {@code loss}, {@code loss_teacher}); insertion-ordered
 * @param preview a lib object to show beside the numbers (a sample grid, a chart), or {@code null}
 * @param startStep the step this session of the loop began at (non-zero for a resumed run), for the pace
 */
public record Progress(String job, long step, long total, double elapsedSeconds, Map<String, Double> metrics,
                       Object preview, long startStep) {

    public Progress {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    public Progress(String job, long step, long total, double elapsedSeconds, Map<String, Double> metrics,
                    Object preview) {
        this(job, step, total, elapsedSeconds, metrics, preview, 0);
    }

    public static Progress of(String job, long step, long total, double elapsedSeconds) {
        return new Progress(job, step, total, elapsedSeconds, Map.of(), null);
    }

    public Progress withMetrics(Map<String, Double> newMetrics) {
        return new Progress(job, step, total, elapsedSeconds, newMetrics, preview, startStep);
    }

    public Progress withPreview(Object newPreview) {
        return new Progress(job, step, total, elapsedSeconds, metrics, newPreview, startStep);
    }

    /** Steps per second in this session so far (0 before its first step). */
    public double itPerSecond() {
        return step > startStep && elapsedSeconds > 0 ? (step - startStep) / elapsedSeconds : 0;
    }

    /** Seconds left at the average pace so far, or NaN when the total or the pace is unknown. */
    public double etaSeconds() {
        double rate = itPerSecond();
        return total > 0 && rate > 0 ? (total - step) / rate : Double.NaN;
    }

    public boolean done() {
        return total > 0 && step >= total;
    }

    /** {@code "scfm train 120/2000  3.1 it/s  ETA 10m05s  loss=0.0123"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(job).append(' ').append(step);
        if (total > 0) {
            sb.append('/').append(total);
        }
        sb.append(String.format(Locale.ROOT, "  %.2f it/s", itPerSecond()));
        if (!Double.isNaN(etaSeconds())) {
            sb.append("  ETA ").append(formatSeconds(etaSeconds()));
        }
        metrics.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %s=%.4g", k, v)));
        return sb.toString();
    }

    /** {@code 75 -> "1m15s"}, {@code 3.2 -> "3.2s"}. */
    public static String formatSeconds(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1fs", s);
        }
        long whole = Math.round(s);
        if (whole < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", whole / 60, whole % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", whole / 3600, (whole % 3600) / 60);
    }
}
