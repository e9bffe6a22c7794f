package org.flowlab.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.Schedule;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Sigma against step for one or more schedules, overlaid, with an HTML table of the values beside the picture.
 * With Glance lists the sigma ranges each LoRA covers are shaded (slow phase above the hand-off sigma, fast phase
 * below it), so a re-shifted list that falls outside its band is visible at a glance. Immutable.
 *
 * <pre>{@code SchedulePlot.of(flux, sd3).byProgress().glance(GlanceLists.derive(QWEN_IMAGE, 1024, 1024))}</pre>
 */
public final class SchedulePlot implements Renderable {
    private static final Color SLOW_BAND = new Color(0x4e, 0x79, 0xa7, 40);
    private static final Color FAST_BAND = new Color(0xf2, 0x8e, 0x2b, 40);

    private final List<Schedule> schedules;
    private final GlanceLists glance;
    private final boolean byProgress;
    private final String title;
    private final int width;
    private final int height;

    private SchedulePlot(List<Schedule> schedules, GlanceLists glance, boolean byProgress, String title, int width,
                         int height) {
        this.schedules = List.copyOf(schedules);
        this.glance = glance;
        this.byProgress = byProgress;
        this.title = title;
        this.width = width;
        this.height = height;
    }

    public static SchedulePlot of(Schedule... schedules) {
        return of(Arrays.asList(schedules));
    }

    public static SchedulePlot of(List<Schedule> schedules) {
        if (schedules.isEmpty()) {
            throw new IllegalArgumentException("a schedule plot needs at least one schedule");
        }
        return new SchedulePlot(schedules, null, false, "sigma schedules", 720, 420);
    }

    /** The base schedule and the 10-step schedule Glance's lists imply, both phases shaded. */
    public static SchedulePlot of(GlanceLists lists) {
        return of(lists.base(), lists.inferenceSchedule()).glance(lists).title("Glance lists on " + lists.base().label());
    }

    /** Shade the sigma bands of Glance's two phases. */
    public SchedulePlot glance(GlanceLists lists) {
        return new SchedulePlot(schedules, lists, byProgress, title, width, height);
    }

    /** Put {@code step / steps} (0..1) on the x axis, so schedules with different step counts line up. */
    public SchedulePlot byProgress() {
        return new SchedulePlot(schedules, glance, true, title, width, height);
    }

    public SchedulePlot title(String newTitle) {
        return new SchedulePlot(schedules, glance, byProgress, newTitle, width, height);
    }

    public SchedulePlot size(int w, int h) {
        Png.canvas(w, h); // validates
        return new SchedulePlot(schedules, glance, byProgress, title, w, h);
    }

    public List<Schedule> schedules() {
        return schedules;
    }

    public Optional<GlanceLists> glanceLists() {
        return Optional.ofNullable(glance);
    }

    /** The sigma where the slow phase hands over to the fast one (the first fast timestep / 1000). */
    static double handoff(GlanceLists g) {
        return g.fast()[0] / 1000;
    }

    public BufferedImage image() {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Schedule s : schedules) {
            XYSeries xy = new XYSeries(s.label(), false, true);
            double[] sig = s.sigmas();
            for (int i = 0; i < sig.length; i++) {
                xy.add(byProgress ? (double) i / s.steps() : i, sig[i]);
            }
            data.addSeries(xy);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, byProgress ? "step / steps" : "step", "sigma", data,
                PlotOrientation.VERTICAL, true, false, false);
        Charts.style(chart);
        XYPlot plot = chart.getXYPlot();
        plot.getRangeAxis().setRange(-0.02, 1.04);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < schedules.size(); i++) {
            r.setSeriesPaint(i, Charts.color(i));
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesShape(i, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
        }
        plot.setRenderer(r);
        if (glance != null) {
            double hand = handoff(glance);
            plot.addRangeMarker(band(hand, 1.0, SLOW_BAND, "slow LoRA (sigma >= " + fmt(hand) + ")"), Layer.BACKGROUND);
            plot.addRangeMarker(band(0.0, hand, FAST_BAND, "fast LoRA"), Layer.BACKGROUND);
        }
        BufferedImage img = Png.canvas(width, height);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        g.dispose();
        return img;
    }

    private static IntervalMarker band(double lo, double hi, Color color, String label) {
        IntervalMarker m = new IntervalMarker(lo, hi);
        m.setPaint(color);
        m.setLabel(label);
        m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        m.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
        m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
        return m;
    }

    /** One row per step, one sigma column per schedule (blank where a schedule has fewer steps). */
    public String htmlTable() {
        int rows = schedules.stream().mapToInt(s -> s.steps() + 1).max().orElse(0);
        StringBuilder sb = new StringBuilder("<table class=\"flowlab-schedules\"><thead><tr><th>step</th>");
        for (Schedule s : schedules) {
            sb.append("<th>").append(Html.escape(s.label())).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (int i = 0; i < rows; i++) {
            sb.append("<tr><td>").append(i).append("</td>");
            for (Schedule s : schedules) {
                sb.append("<td>").append(i <= s.steps() ? fmt(s.sigma(i)) : "").append("</td>");
            }
            sb.append("</tr>");
        }
        sb.append("</tbody></table>");
        if (glance != null) {
            sb.append("<table class=\"flowlab-glance\"><thead><tr><th>phase</th><th>timesteps (x1000)</th></tr></thead>")
                    .append("<tbody><tr><td>slow</td><td>").append(list(glance.slow())).append("</td></tr>")
                    .append("<tr><td>fast</td><td>").append(list(glance.fast())).append("</td></tr></tbody></table>");
        }
        return sb.toString();
    }

    @Override
    public MimeBundle bundle() {
        byte[] png = Png.encode(image());
        // the table folds away under the picture: 50 rows should not push the next cell off screen
        String html = "<div class=\"flowlab-schedule-plot\">" + Html.img(png, title) + "<details><summary>"
                + Html.escape(summaryLine()) + "</summary>" + htmlTable() + "</details></div>";
        return MimeBundle.text(toString()).withPng(png).with(MimeBundle.TEXT_HTML, html);
    }

    private String summaryLine() {
        return "sigmas of " + schedules.size() + (schedules.size() == 1 ? " schedule" : " schedules");
    }

    private static String list(double[] values) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(String.format(Locale.ROOT, "%.4f", v));
        }
        return String.join(", ", parts);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    /** Each schedule's label and its first and last few sigmas. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SchedulePlot '").append(title).append("'");
        for (Schedule s : schedules) {
            sb.append("\n  ").append(s.label()).append(": ").append(preview(s.sigmas()));
        }
        if (glance != null) {
            sb.append("\n  Glance slow: ").append(list(glance.slow())).append("\n  Glance fast: ")
                    .append(list(glance.fast()));
        }
        return sb.toString();
    }

    private static String preview(double[] sig) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < sig.length; i++) {
            if (sig.length > 8 && i == 4) {
                sb.append(", ...");
                i = sig.length - 3;
            }
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", sig[i]));
        }
        return sb.append("] (").append(sig.length - 1).append(" steps)").toString();
    }
}
