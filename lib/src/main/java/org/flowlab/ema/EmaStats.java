package org.flowlab.ema;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flowlab.lora.WeightSet;

/**
 * Norms of several weight sets (student, fast EMA, slow EMA) and the distances between every pair, the numbers an
 * EMA display plots over time.
 *
 * @param step the training step they were taken at
 * @param norms norm by set name, in the order given
 * @param distances distance by {@code "a-b"} for every pair
 */
public record EmaStats(long step, Map<String, Double> norms, Map<String, Double> distances)
        implements org.flowlab.viz.Renderable {

    /** In a notebook: the table, and a bar chart of the distances. */
    @Override
    public org.flowlab.viz.MimeBundle bundle() {
        return org.flowlab.viz.Tables.bundle(table());
    }

    public static EmaStats of(long step, List<WeightSet> sets) {
        Map<String, Double> norms = new LinkedHashMap<>();
        Map<String, Double> distances = new LinkedHashMap<>();
        List<WeightSet> seen = new ArrayList<>();
        for (WeightSet s : sets) {
            norms.put(s.name(), s.norm());
            for (WeightSet earlier : seen) {
                distances.put(earlier.name() + "-" + s.name(), earlier.distance(s));
            }
            seen.add(s);
        }
        return new EmaStats(step, Collections.unmodifiableMap(norms), Collections.unmodifiableMap(distances));
    }

    /** Norms and pairwise distances as a two-column table. */
    public tech.tablesaw.api.Table table() {
        java.util.List<String> names = new ArrayList<>();
        java.util.List<Double> values = new ArrayList<>();
        norms.forEach((k, v) -> {
            names.add("|" + k + "|");
            values.add(v);
        });
        distances.forEach((k, v) -> {
            names.add("d(" + k + ")");
            values.add(v);
        });
        return tech.tablesaw.api.Table.create("EMA state at step " + step).addColumns(
                tech.tablesaw.api.StringColumn.create("quantity", names),
                tech.tablesaw.api.DoubleColumn.create("value", values));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("step ").append(step).append(':');
        norms.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " |%s|=%.4g", k, v)));
        distances.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " d(%s)=%.4g", k, v)));
        return sb.toString();
    }
}
