package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class LineChartTest {

    @Test
    void pngAndVegaLiteCarryTheSameData() {
        LineChart c = LineChart.titled("loss").series("train", 1.0, 0.5, 0.25).series("val", new double[] {0, 2},
                new double[] {1.1, 0.6});
        MimeBundle b = c.bundle();
        BufferedImage img = PngFixtures.decode(b);
        assertEquals(640, img.getWidth());
        assertEquals(360, img.getHeight());
        JsonObject spec = JsonParser.parseString(b.textOf(MimeBundle.VEGA_LITE).orElseThrow()).getAsJsonObject();
        assertEquals(5, spec.getAsJsonObject("data").getAsJsonArray("values").size());
        assertEquals("line", spec.getAsJsonObject("mark").get("type").getAsString());
        assertTrue(b.text().contains("train (3 points, last 0.2500)"), b.text());
    }

    @Test
    void logAxisDropsNonPositiveValues() {
        LineChart c = LineChart.titled("l").series("s", 1, 0, 0.01).logY();
        BufferedImage img = c.image(); // would throw in JFreeChart's LogAxis if 0 reached it
        assertEquals(360, img.getHeight());
        JsonObject y = JsonParser.parseString(c.vegaLite()).getAsJsonObject().getAsJsonObject("encoding")
                .getAsJsonObject("y");
        assertEquals("log", y.getAsJsonObject("scale").get("type").getAsString());
    }

    @Test
    void mismatchedSeriesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("t").series("s", new double[] {1, 2}, new double[] {1}));
        assertTrue(e.getMessage().contains("'s' has 2 x values and 1 y values"), e.getMessage());
    }
}
