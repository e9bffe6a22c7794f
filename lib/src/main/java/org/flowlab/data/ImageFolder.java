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

        /** Aspect ratios of the standard buckets (width : height), square first. */
        private static final int[][] RATIOS = {{1, 1}, {4, 3}, {3, 4}, {3, 2}, {2, 3}, {16, 9}, {9, 16}};

        /**
         * The standard aspect-ratio buckets (1:1, 4:3, 3:4, 3:2, 2:3, 16:9, 9:16) at about this bucket's pixel
         * count, each side a multiple of {@code multiple} (what the VAE and the transformer's patches divide).
         */
        public List<Bucket> withAspectRatios(int multiple) {
            if (multiple < 1) {
                throw new IllegalArgumentException("multiple " + multiple + " must be at least 1");
            }
            double area = (double) width * height;
            java.util.LinkedHashSet<Bucket> out = new java.util.LinkedHashSet<>();
            for (int[] r : RATIOS) {
                double w = Math.sqrt(area * r[0] / r[1]);
                out.add(new Bucket(round(w, multiple), round(area / w, multiple)));
            }
            return List.copyOf(out);
        }

        private static int round(double side, int multiple) {
            return (int) Math.max(multiple, Math.round(side / multiple) * multiple);
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
     * @throws IllegalArgumentException naming the file when an image cannot be read as one, is smaller than its bucket,
     *     or its caption file is missing (bad input, as the CLI reports it)
     */
    public static ImageFolder load(Path directory, List<Bucket> buckets) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException(directory + " is not a directory");
        }
        if (buckets.isEmpty()) {
            throw new IllegalArgumentException("give at least one bucket");
        }
        List<Path> images;
        try (Stream<Path> s = Files.list(directory)) {
            images = s.filter(ImageFolder::isImage).sorted().toList();
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException(directory + " holds no images (" + String.join(", ", EXTENSIONS) + ")");
        }
        List<Item> items = new ArrayList<>();
        for (Path image : images) {
            Path txt = captionFile(image);
            if (!Files.isRegularFile(txt)) {
                throw new IllegalArgumentException(image + " has no caption file " + txt.getFileName());
            }
            String caption = Files.readString(txt, StandardCharsets.UTF_8).trim();
            BufferedImage img = read(image);
            Bucket bucket = nearest(buckets, img.getWidth() / (double) img.getHeight());
            requireCovers(image, img, bucket.width(), bucket.height());
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

    /**
     * One image file scaled to cover {@code width x height} and centre-cropped: CHW floats in [-1, 1]. An image
     * smaller than that on either side is refused (upscaling would train on blur).
     */
    public static float[] loadImage(Path file, int width, int height) throws IOException {
        BufferedImage img = read(file);
        requireCovers(file, img, width, height);
        return toPixels(coverAndCrop(img, width, height));
    }

    /** The bucket whose aspect ratio is nearest to this image's. */
    public static Bucket bucketFor(Path file, List<Bucket> buckets) throws IOException {
        BufferedImage img = read(file);
        return nearest(buckets, img.getWidth() / (double) img.getHeight());
    }

    /** The file's bytes (what caches hash), with the same errors as reading it as an image. */
    public static byte[] readBytes(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("image " + file + " does not exist");
        }
        return Files.readAllBytes(file);
    }

    private static void requireCovers(Path file, BufferedImage img, int width, int height) {
        if (img.getWidth() < width || img.getHeight() < height) {
            throw new IllegalArgumentException("image " + file + " is " + img.getWidth() + "x" + img.getHeight()
                    + ", smaller than its bucket " + width + "x" + height + ": give a larger image or a smaller size");
        }
    }

    static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("image " + file + " does not exist");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("image " + file + " cannot be read (" + e.getMessage() + ")", e);
        }
        if (img == null) {
            throw new IllegalArgumentException("image " + file + " cannot be read: not a PNG, JPEG, BMP or GIF");
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
