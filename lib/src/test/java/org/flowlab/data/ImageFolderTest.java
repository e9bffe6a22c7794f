package org.flowlab.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path dir;

    static void png(Path file, int w, int h, Color left, Color right) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(left);
        g.fillRect(0, 0, w / 2, h);
        g.setColor(right);
        g.fillRect(w / 2, 0, w - w / 2, h);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void loadsIntoBucketsWithCaptions() throws IOException {
        png(dir.resolve("wide.png"), 120, 60, Color.RED, Color.BLUE);
        Files.writeString(dir.resolve("wide.txt"), "a wide picture\n");
        png(dir.resolve("square.png"), 50, 50, Color.GREEN, Color.GREEN);
        Files.writeString(dir.resolve("square.txt"), "a green square");
        Files.writeString(dir.resolve("notes.md"), "ignored");

        ImageFolder f = ImageFolder.load(dir, List.of(new ImageFolder.Bucket(32, 32), new ImageFolder.Bucket(48, 24)));
        assertEquals(2, f.items().size());
        ImageFolder.Item square = f.items().get(0);
        assertEquals("a green square", square.caption());
        assertEquals(new ImageFolder.Bucket(32, 32), square.bucket());
        assertEquals(3 * 32 * 32, square.pixels().length);
        assertEquals(1f, square.pixels()[32 * 32 + 5], 1e-6, "green channel at full");
        assertEquals(-1f, square.pixels()[5], 1e-6, "no red");
        ImageFolder.Item wide = f.items().get(1);
        assertEquals("a wide picture", wide.caption());
        assertEquals(new ImageFolder.Bucket(48, 24), wide.bucket());
        assertTrue(wide.pixels()[0] > 0.9, "left half red");
        assertTrue(wide.pixels()[2 * 48 * 24 + 47] > 0.9, "right half blue");
        assertEquals(2, f.byBucket().size());
    }

    @Test
    void standardBucketsKeepThePixelCountAndPickTheNearestAspect() throws IOException {
        List<ImageFolder.Bucket> buckets = new ImageFolder.Bucket(1024, 1024).withAspectRatios(16);
        assertEquals(7, buckets.size());
        assertEquals(new ImageFolder.Bucket(1024, 1024), buckets.get(0));
        for (ImageFolder.Bucket b : buckets) {
            assertEquals(0, b.width() % 16, b.toString());
            assertEquals(0, b.height() % 16, b.toString());
            assertEquals(1.0, b.width() * (double) b.height() / (1024 * 1024), 0.03, "about 1 MP: " + b);
        }
        assertTrue(buckets.contains(new ImageFolder.Bucket(1248, 832)), "3:2 at 1 MP: " + buckets);
        assertTrue(buckets.contains(new ImageFolder.Bucket(768, 1360)), "9:16 at 1 MP: " + buckets);

        png(dir.resolve("landscape.png"), 300, 200, Color.RED, Color.BLUE);
        List<ImageFolder.Bucket> small = new ImageFolder.Bucket(64, 64).withAspectRatios(8);
        ImageFolder.Bucket b = ImageFolder.bucketFor(dir.resolve("landscape.png"), small);
        assertEquals(1.5, b.width() / (double) b.height(), 0.1, "a 3:2 image goes to the 3:2 bucket: " + b);
    }

    @Test
    void anImageSmallerThanItsBucketIsRefusedWithBothSizes() throws IOException {
        png(dir.resolve("small.png"), 40, 20, Color.RED, Color.RED);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageFolder.loadImage(dir.resolve("small.png"), 48, 24));
        assertTrue(e.getMessage().contains("40x20") && e.getMessage().contains("48x24"), e.getMessage());
        Files.writeString(dir.resolve("small.txt"), "red");
        IllegalArgumentException inFolder = assertThrows(IllegalArgumentException.class,
                () -> ImageFolder.load(dir, List.of(new ImageFolder.Bucket(48, 24))));
        assertTrue(inFolder.getMessage().contains("small.png"), inFolder.getMessage());
    }

    @Test
    void errorsNameTheFile() throws IOException {
        png(dir.resolve("a.png"), 8, 8, Color.RED, Color.RED);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(dir, List.of(new ImageFolder.Bucket(8, 8))));
        assertTrue(missing.getMessage().contains("a.png") && missing.getMessage().contains("a.txt"), missing.getMessage());

        Files.writeString(dir.resolve("a.txt"), "red");
        Files.write(dir.resolve("b.png"), new byte[] {1, 2, 3, 4});
        Files.writeString(dir.resolve("b.txt"), "broken");
        IllegalArgumentException unreadable = assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(dir, List.of(new ImageFolder.Bucket(8, 8))));
        assertTrue(unreadable.getMessage().contains("b.png") && unreadable.getMessage().contains("cannot be read"),
                unreadable.getMessage());

        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> ImageFolder.loadImage(dir.resolve("zzz.png"), 8, 8));
        assertTrue(none.getMessage().contains("zzz.png"));
    }
}
