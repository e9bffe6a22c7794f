package org.flowlab.ext;

import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;
import org.flowlab.kernel.JShellEvaluator;
import org.flowlab.viz.Html;
import org.flowlab.viz.MimeBundle;
import org.flowlab.viz.Renderable;

/**
 * What {@code %flowlab} shows: versions, device, threads. Libraries add a line with {@link #addSection}
 * (DJL: {@code FlowlabInfo.addSection("device", () -> Engine.getInstance().defaultDevice().toString())}).
 */
public final class FlowlabInfo implements Renderable {
    private static final Map<String, Supplier<String>> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("flowlab", FlowlabInfo::flowlabVersion);
        SECTIONS.put("java", () -> Runtime.version() + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.home") + ")");
        SECTIONS.put("kernel", () -> "jjava-jupyter " + jjavaVersion() + "; interrupt stops tight loops by "
                + JShellEvaluator.stopMechanism());
        SECTIONS.put("device", () -> "cpu (no accelerator library loaded)");
        SECTIONS.put("threads", () -> Runtime.getRuntime().availableProcessors() + " cores, common pool parallelism "
                + ForkJoinPool.getCommonPoolParallelism());
        SECTIONS.put("memory", () -> String.format(java.util.Locale.ROOT, "%.1f GiB max heap",
                Runtime.getRuntime().maxMemory() / (1024.0 * 1024 * 1024)));
        SECTIONS.put("os", () -> System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
    }

    /** Adds or replaces a line (evaluated each time {@code %flowlab} runs). */
    public static synchronized void addSection(String name, Supplier<String> value) {
        SECTIONS.put(name, value);
    }

    public static synchronized Map<String, String> snapshot() {
        Map<String, String> out = new LinkedHashMap<>();
        SECTIONS.forEach((k, v) -> {
            String s;
            try {
                s = v.get();
            } catch (RuntimeException e) {
                s = "unknown (" + e + ")";
            }
            out.put(k, s);
        });
        return out;
    }

    static String flowlabVersion() {
        String v = FlowlabInfo.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static String jjavaVersion() {
        try (InputStream in = FlowlabInfo.class.getResourceAsStream(
                "/META-INF/maven/org.dflib.jjava/jjava-jupyter/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    @Override
    public MimeBundle bundle() {
        Map<String, String> info = snapshot();
        StringBuilder text = new StringBuilder();
        StringBuilder html = new StringBuilder("<table class=\"flowlab-info\">");
        info.forEach((k, v) -> {
            text.append(String.format("%-8s %s%n", k, v));
            html.append("<tr><th style=\"text-align:left\">").append(Html.escape(k)).append("</th><td style=\"text-align:left\">")
                    .append(Html.escape(v)).append("</td></tr>");
        });
        return MimeBundle.text(text.toString().stripTrailing()).with(MimeBundle.TEXT_HTML, html.append("</table>").toString());
    }

    @Override
    public String toString() {
        return bundle().text();
    }
}
