package org.flowlab.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A user's own pictures in the SimpleTuner layout: {@code photo.png} beside {@code photo.txt} holding its caption.
 * Each image goes to the bucket whose aspect ratio is closest to its own, is scaled to cover it and centre-cropped.
 */
public final class ImageFolder {
    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    /** A target resolution. */
    public record Bucket(int width, int height) {
        public Bucket {
            if (width < 1 || height < 1) {
                throw new IllegalArgumentException("bucket " + width + "x" + height + " is empty");
            }
        }

        double aspect() {
            return width / (double) height;
        }

        @Override
        public String toString() {
            return width + "x" + height;
        }
    }

    /** One picture: its caption and pixels (CHW, RGB, in [-1, 1]) at its bucket's size. */
    public record Item(Path image, String caption, Bucket bucket, float[] pixels) {
    }

    private final Path directory;
    private final List<Item> items;

    private ImageFolder(Path directory, List<Item> items) {
        this.directory = directory;
        this.items = Collections.unmodifiableList(items);
    }

    /**
     * Reads every image in {@code directory} (not recursive).
     *
     * @throws IOException naming the file when an image cannot be read or its caption file is missing
     */
    public static ImageFolder load(Path directory, List<Bucket> buckets) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException(directory + " is not a directory");
        }
        if (buckets.isEmpty()) {
            throw new IllegalArgumentException("give at least one bucket");
        }
        List<Path> images;
        try (Stream<Path> s = Files.list(directory)) {
            images = s.filter(ImageFolder::isImage).sorted().toList();
        }
        if (images.isEmpty()) {
            throw new IOException(directory + " holds no images (" + String.join(", ", EXTENSIONS) + ")");
        }
        List<Item> items = new ArrayList<>();
        for (Path image : images) {
            Path txt = captionFile(image);
            if (!Files.isRegularFile(txt)) {
                throw new IOException(image + " has no caption file " + txt.getFileName());
            }
            String caption = Files.readString(txt, StandardCharsets.UTF_8).trim();
            BufferedImage img = read(image);
            Bucket bucket = nearest(buckets, img.getWidth() / (double) img.getHeight());
            items.add(new Item(image, caption, bucket, toPixels(coverAndCrop(img, bucket.width(), bucket.height()))));
        }
        return new ImageFolder(directory, items);
    }

    public Path directory() {
        return directory;
    }

    public List<Item> items() {
        return items;
    }

    public Map<Bucket, List<Item>> byBucket() {
        Map<Bucket, List<Item>> out = new LinkedHashMap<>();
        for (Item i : items) {
            out.computeIfAbsent(i.bucket(), b -> new ArrayList<>()).add(i);
        }
        return out;
    }

    /** One image file scaled to cover {@code width x height} and centre-cropped: CHW floats in [-1, 1]. */
    public static float[] loadImage(Path file, int width, int height) throws IOException {
        return toPixels(coverAndCrop(read(file), width, height));
    }

    static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("image " + file + " does not exist");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException("image " + file + " cannot be read (" + e.getMessage() + ")", e);
        }
        if (img == null) {
            throw new IOException("image " + file + " cannot be read: not a PNG, JPEG, BMP or GIF");
        }
        return img;
    }

    static BufferedImage coverAndCrop(BufferedImage src, int width, int height) {
        double scale = Math.max(width / (double) src.getWidth(), height / (double) src.getHeight());
        int sw = Math.max(width, (int) Math.round(src.getWidth() * scale));
        int sh = Math.max(height, (int) Math.round(src.getHeight() * scale));
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(src, (width - sw) / 2, (height - sh) / 2, sw, sh, null);
        g.dispose();
        return out;
    }

    static float[] toPixels(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] out = new float[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                out[(0 * h + y) * w + x] = ((rgb >> 16) & 0xff) / 127.5f - 1;
                out[(1 * h + y) * w + x] = ((rgb >> 8) & 0xff) / 127.5f - 1;
                out[(2 * h + y) * w + x] = (rgb & 0xff) / 127.5f - 1;
            }
        }
        return out;
    }

    private static Bucket nearest(List<Bucket> buckets, double aspect) {
        Bucket best = buckets.get(0);
        for (Bucket b : buckets) {
            if (Math.abs(Math.log(b.aspect() / aspect)) < Math.abs(Math.log(best.aspect() / aspect))) {
                best = b;
            }
        }
        return best;
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    private static Path captionFile(Path image) {
        String n = image.getFileName().toString();
        return image.resolveSibling(n.substring(0, n.lastIndexOf('.')) + ".txt");
    }
}
