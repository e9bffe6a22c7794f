package org.flowlab.viz;

import tech.tablesaw.api.Table;

/** Tablesaw tables as HTML (a row limit keeps a million-row table from flooding the notebook) and text. */
public final class Tables {
    /** Rows shown when nobody asks for more. */
    public static final int DEFAULT_ROW_LIMIT = 20;

    private Tables() {
    }

    public static MimeBundle bundle(Table table) {
        return bundle(table, DEFAULT_ROW_LIMIT);
    }

    public static MimeBundle bundle(Table table, int rowLimit) {
        return MimeBundle.text(table.print(Math.max(1, rowLimit))).with(MimeBundle.TEXT_HTML, html(table, rowLimit));
    }

    /** The first {@code rowLimit} rows, then one line saying how many were left out. */
    public static String html(Table table, int rowLimit) {
        if (rowLimit < 1) {
            throw new IllegalArgumentException("row limit " + rowLimit + " is not allowed; use 1 or more");
        }
        int rows = Math.min(rowLimit, table.rowCount());
        StringBuilder sb = new StringBuilder("<table class=\"flowlab-table\">");
        if (table.name() != null && !table.name().isEmpty()) {
            sb.append("<caption>").append(Html.escape(table.name())).append("</caption>");
        }
        sb.append("<thead><tr>");
        for (String name : table.columnNames()) {
            sb.append("<th>").append(Html.escape(name)).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (int r = 0; r < rows; r++) {
            sb.append("<tr>");
            for (int c = 0; c < table.columnCount(); c++) {
                sb.append("<td>").append(Html.escape(table.column(c).getString(r))).append("</td>");
            }
            sb.append("</tr>");
        }
        sb.append("</tbody></table>");
        int hidden = table.rowCount() - rows;
        if (hidden > 0) {
            sb.append("<p class=\"flowlab-table-more\">").append(hidden).append(hidden == 1 ? " more row" : " more rows")
                    .append(" (").append(table.rowCount()).append(" in all)</p>");
        }
        return sb.toString();
    }
}
