package org.flowlab.viz;

import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * PNG encoding of images drawn off-screen. Every JVM Flowlab starts sets {@code java.awt.headless=true}; drawing
 * never needs a display.
 */
public final class Png {
    private Png() {
    }

    /** The image as PNG bytes. */
    public static byte[] encode(RenderedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalArgumentException("no PNG writer accepts a " + image.getClass().getSimpleName()
                        + "; convert it to a BufferedImage of TYPE_INT_RGB or TYPE_INT_ARGB first");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed", e);
        }
        return out.toByteArray();
    }

    /** An RGB canvas of a sane size. */
    static BufferedImage canvas(int width, int height) {
        if (width < 1 || height < 1 || width > 8192 || height > 8192) {
            throw new IllegalArgumentException("canvas " + width + "x" + height + " is not allowed; use 1..8192 pixels"
                    + " per side");
        }
        return new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    }
}
