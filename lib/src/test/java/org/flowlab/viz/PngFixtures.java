package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Decoding helpers the renderer tests share. */
final class PngFixtures {
    private PngFixtures() {
    }

    static BufferedImage decode(MimeBundle b) {
        byte[] png = b.png().orElseThrow(() -> new AssertionError("bundle has no image/png: " + b));
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            assertNotNull(img, "image/png does not decode");
            return img;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] rgb(BufferedImage img, int x, int y) {
        int p = img.getRGB(x, y);
        return new int[] {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
    }

    /** Pixels whose colour differs between two same-sized images. */
    static int differing(BufferedImage a, BufferedImage b) {
        int n = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                if (a.getRGB(x, y) != b.getRGB(x, y)) {
                    n++;
                }
            }
        }
        return n;
    }
}
