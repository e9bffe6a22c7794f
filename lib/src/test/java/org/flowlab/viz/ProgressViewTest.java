package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import org.flowlab.progress.Progress;
import org.junit.jupiter.api.Test;

class ProgressViewTest {

    @Test
    void barRateEtaChartAndPreview() {
        BufferedImage preview = new BufferedImage(50, 40, BufferedImage.TYPE_INT_RGB);
        List<Progress> history = List.of(
                new Progress("train", 1, 4, 1.0, Map.of("loss", 1.0), null),
                new Progress("train", 2, 4, 2.0, Map.of("loss", 0.5), preview));
        MimeBundle b = ProgressView.of(history).bundle();
        assertTrue(b.text().startsWith("train 2/4 [##########..........] 1.00 it/s ETA 2.0s loss=0.5000"), b.text());
        String html = b.html().orElseThrow();
        assertTrue(html.contains("width:50.0%"), "the bar is half full");
        assertEquals(2, html.split("data:image/png").length - 1, "chart and preview inline");
        BufferedImage img = PngFixtures.decode(b);
        assertEquals(420 + 8 + 50, img.getWidth(), "chart and preview side by side in the PNG");
    }

    @Test
    void finishedJobSaysDoneAndNoMetricsMeansNoChart() {
        MimeBundle b = ProgressView.of(Progress.of("job", 3, 3, 6.0)).bundle();
        assertTrue(b.text().contains("done in 6.0s"), b.text());
        assertFalse(b.png().isPresent(), "nothing to draw");
    }
}
