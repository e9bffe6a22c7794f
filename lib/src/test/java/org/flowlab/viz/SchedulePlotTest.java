package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.SchedulePreset;
import org.junit.jupiter.api.Test;

class SchedulePlotTest {
    static final Schedule FLUX = SchedulePreset.FLUX_DEV.schedule(28, 1024, 1024);
    static final Schedule SD3 = SchedulePreset.SD3.schedule(12);

    @Test
    void overlaidSchedulesDrawAndTabulate() {
        MimeBundle b = SchedulePlot.of(FLUX, SD3).bundle();
        BufferedImage img = PngFixtures.decode(b);
        assertEquals(720, img.getWidth());
        assertEquals(420, img.getHeight());
        String html = b.html().orElseThrow();
        assertEquals(29, html.split("<tr><td>").length - 1, "one row per sigma of the longest schedule");
        assertTrue(html.contains(">1.000000<"), "flux starts at sigma 1");
        assertTrue(html.contains("data:image/png;base64,"), "the picture is inline, no server needed");
        assertTrue(b.text().contains(FLUX.label()) && b.text().contains(SD3.label()), b.text());
    }

    @Test
    void curvesUseThePaletteColours() {
        BufferedImage img = PngFixtures.decode(SchedulePlot.of(FLUX).bundle());
        int blue = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == 0x4e79a7) {
                    blue++;
                }
            }
        }
        assertTrue(blue > 200, "the first series is drawn in palette blue, found " + blue + " pixels");
    }

    @Test
    void glancePhasesAreShadedAndListed() {
        GlanceLists g = GlanceLists.derive(SchedulePreset.QWEN_IMAGE, 1024, 1024);
        BufferedImage plain = SchedulePlot.of(g.base(), g.inferenceSchedule()).image();
        MimeBundle shaded = SchedulePlot.of(g).bundle();
        BufferedImage img = PngFixtures.decode(shaded);
        // the shading tints most of the plot area's background
        assertTrue(PngFixtures.differing(plain, img) > 20_000, "phase bands change the background");
        String html = shaded.html().orElseThrow();
        assertTrue(html.contains("1000.0000, 979.1915, 957.5157, 934.9170, 911.3354"), html);
        assertTrue(html.contains("886.7053, 745.0727, 562.9505, 320.0802, 20.0000"), html);
        assertEquals(0.8867053, SchedulePlot.handoff(g), 1e-6);
    }

    @Test
    void emptyPlotIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SchedulePlot.of(java.util.List.of()));
        assertTrue(e.getMessage().contains("at least one"));
    }
}
