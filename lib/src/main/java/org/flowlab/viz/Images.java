package org.flowlab.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;

/** Plain images as bundles, and the small compositions the live display needs. */
public final class Images {
    private Images() {
    }

    public static MimeBundle bundle(RenderedImage image) {
        return MimeBundle.text(describe(image)).withPng(Png.encode(image));
    }

    static String describe(RenderedImage image) {
        return image.getClass().getSimpleName() + " " + image.getWidth() + "x" + image.getHeight();
    }

    /** {@code a} and {@code b} next to each other on white, tops aligned. */
    public static BufferedImage sideBySide(BufferedImage a, BufferedImage b) {
        int gap = 8;
        BufferedImage out = Png.canvas(a.getWidth() + gap + b.getWidth(), Math.max(a.getHeight(), b.getHeight()));
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(a, 0, 0, null);
        g.drawImage(b, a.getWidth() + gap, 0, null);
        g.dispose();
        return out;
    }

    /** The picture a value would show: its bundle's PNG, or the image itself. Null when it has none. */
    static byte[] pngOf(Object value) {
        if (value instanceof RenderedImage img) {
            return Png.encode(img);
        }
        return Viz.bundle(value).flatMap(MimeBundle::png).orElse(null);
    }
}
