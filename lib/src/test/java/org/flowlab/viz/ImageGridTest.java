package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ImageGridTest {

    /** Two 2x2 RGB images: the first pure red at (0,0), the second mid-grey everywhere. */
    static float[] twoImages() {
        float[] d = new float[2 * 3 * 2 * 2];
        java.util.Arrays.fill(d, -1f);
        d[0] = 1f; // b0 c0 (red) y0 x0
        for (int i = 12; i < 24; i++) {
            d[i] = 0f; // b1 all channels: (0 + 1) * 127.5 = 128
        }
        return d;
    }

    @Test
    void pixelsLandWhereTheLayoutSays() {
        ImageGrid g = ImageGrid.of(twoImages(), 2, 3, 2, 2).scale(1).columns(2);
        BufferedImage img = PngFixtures.decode(g.bundle());
        assertEquals(4 + 2 * (2 + 4), img.getWidth(), "pad + 2 tiles of 2 px + pad each");
        assertEquals(4 + 2 + 4, img.getHeight());
        assertArrayEquals(new int[] {255, 0, 0}, PngFixtures.rgb(img, 4, 4), "first tile, top left: red");
        assertArrayEquals(new int[] {0, 0, 0}, PngFixtures.rgb(img, 5, 4), "-1 is black");
        assertArrayEquals(new int[] {128, 128, 128}, PngFixtures.rgb(img, 4 + 2 + 4, 4), "second tile: 0 -> 128");
        assertArrayEquals(new int[] {255, 255, 255}, PngFixtures.rgb(img, 0, 0), "padding is white");
    }

    @Test
    void smallTilesAreScaledUpAndCaptioned() {
        float[] grey = new float[3 * 1 * 32 * 32];
        ImageGrid g = ImageGrid.of(grey, 3, 1, 32, 32).captions("a", "b", "c");
        BufferedImage img = g.image();
        assertEquals(4 + 3 * (96 + 4), img.getWidth(), "32 px tiles scaled x3 to 96 px");
        assertEquals(4 + 96 + 16 + 4, img.getHeight(), "one caption line under the row");
        assertTrue(g.toString().contains("3 images 32x32: a | b | c"), g.toString());
    }

    @Test
    void valuesAreClampedAndNanIsMagenta() {
        assertEquals(255, ImageGrid.toByte(7f));
        assertEquals(0, ImageGrid.toByte(-3f));
        float[] d = {Float.NaN};
        BufferedImage img = ImageGrid.of(d, 1, 1, 1, 1).scale(1).image();
        assertArrayEquals(new int[] {255, 0, 255}, PngFixtures.rgb(img, 4, 4));
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(new float[10], 1, 3, 2, 2));
        assertTrue(e.getMessage().contains("[1, 3, 2, 2] needs 12 values, got 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(new float[8], 1, 2, 2, 2));
        assertTrue(e.getMessage().contains("C = 1 (grey) or 3 (RGB)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(new float[12], 3, 4));
        assertTrue(e.getMessage().contains("[B, C, H, W]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(new float[4], 1, 1, 2, 2).captions("x", "y"));
    }
}
