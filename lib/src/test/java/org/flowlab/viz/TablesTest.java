package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class TablesTest {

    static Table table(int rows) {
        double[] v = new double[rows];
        String[] s = new String[rows];
        for (int i = 0; i < rows; i++) {
            v[i] = i * 0.5;
            s[i] = i == 0 ? "<b>" : "r" + i;
        }
        return Table.create("results", StringColumn.create("name", s), DoubleColumn.create("score", v));
    }

    @Test
    void rowLimitAndEscaping() {
        MimeBundle b = Tables.bundle(table(30));
        String html = b.html().orElseThrow();
        assertEquals(Tables.DEFAULT_ROW_LIMIT, html.split("<tr><td>").length - 1);
        assertTrue(html.contains("10 more rows (30 in all)"), html);
        assertTrue(html.contains("<td>&lt;b&gt;</td>"), "cell text is escaped");
        assertTrue(html.contains("<th>name</th><th>score</th>"));
        assertTrue(b.text().contains("results"), b.text());
    }

    @Test
    void smallTablesShowWhole() {
        String html = Tables.html(table(3), 20);
        assertEquals(3, html.split("<tr><td>").length - 1);
        assertTrue(!html.contains("more row"));
    }
}
