package org.flowlab.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * 2-D points drawn as a small square picture (a sampler's output on a toy 2-D distribution). Plain Java2D: a
 * few thousand points draw in milliseconds, fast enough for a live display.
 */
public final class ScatterImage {
    private ScatterImage() {
    }

    /**
     * @param xy points as {@code [n][2]}
     * @param extent the picture shows {@code [-extent, extent]} on both axes
     * @param size picture width and height in pixels
     * @param caption drawn at the top left, or null
     */
    public static BufferedImage draw(double[][] xy, double extent, int size, String caption) {
        if (!(extent > 0)) {
            throw new IllegalArgumentException("extent " + extent + " is not allowed; use a positive half-width");
        }
        BufferedImage img = Png.canvas(size, size);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, size, size);
        g.setColor(new Color(0xdddddd));
        g.drawLine(size / 2, 0, size / 2, size);
        g.drawLine(0, size / 2, size, size / 2);
        g.setColor(new Color(0x4e, 0x79, 0xa7, 110));
        double half = size / 2.0;
        for (double[] p : xy) {
            if (p.length < 2 || !Double.isFinite(p[0]) || !Double.isFinite(p[1])) {
                continue;
            }
            int px = (int) Math.round(half + p[0] / extent * half);
            int py = (int) Math.round(half - p[1] / extent * half);
            g.fillOval(px - 1, py - 1, 3, 3);
        }
        if (caption != null) {
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(caption, 6, 16);
        }
        g.setColor(Color.LIGHT_GRAY);
        g.drawRect(0, 0, size - 1, size - 1);
        g.dispose();
        return img;
    }
}
