package org.flowlab.viz;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A line chart of one or more named series (loss curves, metrics against steps). Immutable: every setter returns
 * a new chart. The bundle carries a PNG (JFreeChart, drawn headless), a Vega-Lite spec JupyterLab draws itself,
 * and a text summary of the last values.
 *
 * <pre>{@code LineChart.titled("loss").series("train", losses).yLabel("MSE").logY()}</pre>
 */
public final class LineChart implements Renderable {

    /** One named curve. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x values and "
                        + y.length + " y values; give one x per y");
            }
            x = x.clone();
            y = y.clone();
        }

        @Override
        public double[] x() {
            return x.clone();
        }

        @Override
        public double[] y() {
            return y.clone();
        }
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logY;
    private final boolean markers;
    private final int width;
    private final int height;
    private final List<Series> series;

    private LineChart(String title, String xLabel, String yLabel, boolean logY, boolean markers, int width,
                      int height, List<Series> series) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logY = logY;
        this.markers = markers;
        this.width = width;
        this.height = height;
        this.series = List.copyOf(series);
    }

    public static LineChart titled(String title) {
        return new LineChart(title, "step", "value", false, false, 640, 360, List.of());
    }

    /** A series plotted against 0, 1, 2, ... */
    public LineChart series(String name, double... y) {
        double[] x = new double[y.length];
        Arrays.setAll(x, i -> i);
        return series(name, x, y);
    }

    public LineChart series(String name, double[] x, double[] y) {
        List<Series> s = new ArrayList<>(series);
        s.add(new Series(name, x, y));
        return new LineChart(title, xLabel, yLabel, logY, markers, width, height, s);
    }

    public LineChart xLabel(String label) {
        return new LineChart(title, label, yLabel, logY, markers, width, height, series);
    }

    public LineChart yLabel(String label) {
        return new LineChart(title, xLabel, label, logY, markers, width, height, series);
    }

    /** Logarithmic y axis (losses over orders of magnitude); non-positive values are left out of the plot. */
    public LineChart logY() {
        return new LineChart(title, xLabel, yLabel, true, markers, width, height, series);
    }

    /** Draw a marker on every point (few points, e.g. a metric per step count). */
    public LineChart markers() {
        return new LineChart(title, xLabel, yLabel, logY, true, width, height, series);
    }

    public LineChart size(int w, int h) {
        Png.canvas(w, h); // validates
        return new LineChart(title, xLabel, yLabel, logY, markers, w, h, series);
    }

    public List<Series> seriesList() {
        return series;
    }

    public BufferedImage image() {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x.length; i++) {
                if (Double.isFinite(s.y[i]) && (!logY || s.y[i] > 0)) {
                    xy.add(s.x[i], s.y[i]);
                }
            }
            data.addSeries(xy);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                series.size() > 1, false, false);
        XYPlot plot = chart.getXYPlot();
        Charts.style(chart);
        if (logY) {
            LogAxis axis = new LogAxis(yLabel);
            axis.setSmallestValue(1e-12);
            plot.setRangeAxis(axis);
        }
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, markers);
        for (int i = 0; i < series.size(); i++) {
            r.setSeriesPaint(i, Charts.color(i));
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(r);
        BufferedImage img = Png.canvas(width, height);
        java.awt.Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        chart.draw(g, new java.awt.geom.Rectangle2D.Double(0, 0, width, height));
        g.dispose();
        return img;
    }

    /** The Vega-Lite v5 spec: data inline, so it renders offline. */
    public String vegaLite() {
        JsonArray values = new JsonArray();
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (Double.isFinite(s.y[i])) {
                    JsonObject v = new JsonObject();
                    v.addProperty("series", s.name());
                    v.addProperty("x", s.x[i]);
                    v.addProperty("y", s.y[i]);
                    values.add(v);
                }
            }
        }
        JsonObject spec = new JsonObject();
        spec.addProperty("$schema", "https://vega.github.io/schema/vega-lite/v5.json");
        spec.addProperty("title", title);
        spec.addProperty("width", width - 120);
        spec.addProperty("height", height - 80);
        JsonObject data = new JsonObject();
        data.add("values", values);
        spec.add("data", data);
        JsonObject mark = new JsonObject();
        mark.addProperty("type", "line");
        mark.addProperty("point", markers);
        spec.add("mark", mark);
        JsonObject enc = new JsonObject();
        enc.add("x", field("x", xLabel, false));
        enc.add("y", field("y", yLabel, logY));
        JsonObject color = new JsonObject();
        color.addProperty("field", "series");
        color.addProperty("type", "nominal");
        enc.add("color", color);
        spec.add("encoding", enc);
        return spec.toString();
    }

    private static JsonObject field(String name, String title, boolean log) {
        JsonObject f = new JsonObject();
        f.addProperty("field", name);
        f.addProperty("type", "quantitative");
        f.addProperty("title", title);
        if (log) {
            JsonObject scale = new JsonObject();
            scale.addProperty("type", "log");
            f.add("scale", scale);
        }
        return f;
    }

    @Override
    public MimeBundle bundle() {
        return MimeBundle.text(toString()).withPng(Png.encode(image())).with(MimeBundle.VEGA_LITE, vegaLite());
    }

    /** {@code "LineChart 'loss': train (120 points, last 0.0123)"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LineChart '").append(title).append("'");
        String sep = ": ";
        for (Series s : series) {
            sb.append(sep).append(s.name()).append(" (").append(s.y.length).append(" points");
            if (s.y.length > 0) {
                sb.append(String.format(Locale.ROOT, ", last %.4g", s.y[s.y.length - 1]));
            }
            sb.append(')');
            sep = ", ";
        }
        return sb.toString();
    }
}
