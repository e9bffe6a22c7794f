package org.flowlab.viz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.flowlab.progress.Progress;

/**
 * What a live display shows for a running job: a progress bar with step/total, it/s and ETA, the metrics so far as
 * a chart, and the latest preview picture (samples). The same bundle serves the notebook (HTML with inline
 * images), nbconvert and terminals (one PNG with chart and preview side by side, and a text line). Immutable.
 */
public final class ProgressView implements Renderable {
    private final Progress latest;
    private final List<Progress> history;

    private ProgressView(Progress latest, List<Progress> history) {
        this.latest = latest;
        this.history = List.copyOf(history);
    }

    public static ProgressView of(Progress latest) {
        return new ProgressView(latest, List.of(latest));
    }

    /** The reports so far, oldest first; their metrics become the chart. */
    public static ProgressView of(List<Progress> history) {
        if (history.isEmpty()) {
            throw new IllegalArgumentException("a progress view needs at least one report");
        }
        return new ProgressView(history.get(history.size() - 1), history);
    }

    public Progress latest() {
        return latest;
    }

    /** One series per metric name, against the step it was reported at; null when there are no metrics. */
    public LineChart chart() {
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        for (Progress p : history) {
            p.metrics().forEach((k, v) -> points.computeIfAbsent(k, x -> new ArrayList<>()).add(new double[] {p.step(), v}));
        }
        if (points.isEmpty()) {
            return null;
        }
        LineChart chart = LineChart.titled(latest.job()).xLabel("step").yLabel("metric").size(420, 260).markers();
        for (Map.Entry<String, List<double[]>> e : points.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(a -> a[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(a -> a[1]).toArray();
            chart = chart.series(e.getKey(), x, y);
        }
        return chart;
    }

    public String html(byte[] chartPng, byte[] previewPng) {
        double fraction = latest.total() > 0 ? Math.min(1.0, (double) latest.step() / latest.total()) : 0;
        StringBuilder sb = new StringBuilder("<div class=\"flowlab-progress\">");
        sb.append("<div style=\"font-family:monospace\">").append(Html.escape(statusLine())).append("</div>");
        if (latest.total() > 0) {
            sb.append(String.format(Locale.ROOT, "<div style=\"width:400px;height:10px;background:#e8e8e8;"
                    + "border-radius:3px\"><div style=\"width:%.1f%%;height:10px;background:%s;border-radius:3px\">"
                    + "</div></div>", fraction * 100, latest.done() ? "#59a14f" : "#4e79a7"));
        }
        sb.append("<div style=\"display:flex;gap:8px;align-items:flex-start\">");
        if (chartPng != null) {
            sb.append(Html.img(chartPng, "metrics"));
        }
        if (previewPng != null) {
            sb.append(Html.img(previewPng, "preview"));
        }
        return sb.append("</div></div>").toString();
    }

    /** {@code "sweep 3/7 [#####.....] 2.10 it/s ETA 1.9s nll=1.234"}. */
    public String statusLine() {
        StringBuilder sb = new StringBuilder(latest.job()).append(' ').append(latest.step());
        if (latest.total() > 0) {
            sb.append('/').append(latest.total());
            int filled = (int) Math.round(20.0 * Math.min(1.0, (double) latest.step() / latest.total()));
            sb.append(" [").append("#".repeat(filled)).append(".".repeat(20 - filled)).append(']');
        }
        sb.append(String.format(Locale.ROOT, " %.2f it/s", latest.itPerSecond()));
        if (latest.done()) {
            sb.append(" done in ").append(Progress.formatSeconds(latest.elapsedSeconds()));
        } else if (!Double.isNaN(latest.etaSeconds())) {
            sb.append(" ETA ").append(Progress.formatSeconds(latest.etaSeconds()));
        }
        latest.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s=%.4g", k, v)));
        return sb.toString();
    }

    @Override
    public MimeBundle bundle() {
        LineChart chart = chart();
        BufferedImage chartImage = chart == null ? null : chart.image();
        byte[] chartPng = chartImage == null ? null : Png.encode(chartImage);
        byte[] previewPng = latest.preview() == null ? null : Images.pngOf(latest.preview());
        MimeBundle b = MimeBundle.text(statusLine()).with(MimeBundle.TEXT_HTML, html(chartPng, previewPng));
        BufferedImage picture = chartImage;
        if (previewPng != null) {
            BufferedImage preview = decode(previewPng);
            picture = picture == null ? preview : Images.sideBySide(picture, preview);
        }
        return picture == null ? b : b.withPng(Png.encode(picture));
    }

    private static BufferedImage decode(byte[] png) {
        try {
            return ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return statusLine();
    }
}
