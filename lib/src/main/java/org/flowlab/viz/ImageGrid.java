package org.flowlab.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A grid of images with optional captions: a batch of samples, a sweep over step counts, a StepTrace.
 * Built from plain float data in the layout every model uses, {@code [B, C, H, W]} with values in [-1, 1]
 * ({@code C} = 1 grey or 3 RGB), or from ready {@link BufferedImage}s. Immutable.
 *
 * <p>Legend: B batch, C channels, H height, W width; pixel {@code (b, c, y, x)} sits at
 * {@code ((b * C + c) * H + y) * W + x}.
 */
public final class ImageGrid implements Renderable {
    /** Toy images are 32x32: tiles are scaled up (nearest neighbour, no blur) until they are at least this wide. */
    private static final int MIN_TILE = 96;
    private static final int PAD = 4;
    private static final Color NAN_PIXEL = Color.MAGENTA;

    private final List<BufferedImage> tiles;
    private final List<String> captions;
    private final int columns;
    private final int scale;
    private final String title;

    private ImageGrid(List<BufferedImage> tiles, List<String> captions, int columns, int scale, String title) {
        this.tiles = List.copyOf(tiles);
        this.captions = List.copyOf(captions);
        this.columns = columns;
        this.scale = scale;
        this.title = title;
    }

    /** As {@link #of(float[], int...)}, with the shape as a tensor reports it ({@code NDArray.getShape().getShape()}). */
    public static ImageGrid of(float[] data, long[] shape) {
        return of(data, Arrays.stream(shape).mapToInt(Math::toIntExact).toArray());
    }

    /**
     * @param data {@code B*C*H*W} values in [-1, 1] (clamped; NaN shows magenta)
     * @param shape {@code B, C, H, W}
     */
    public static ImageGrid of(float[] data, int... shape) {
        if (shape.length != 4) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is not [B, C, H, W]; give four"
                    + " dimensions, e.g. 16, 3, 32, 32");
        }
        int b = shape[0];
        int c = shape[1];
        int h = shape[2];
        int w = shape[3];
        if (b < 1 || h < 1 || w < 1 || (c != 1 && c != 3)) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is not drawable; need B, H, W >= 1"
                    + " and C = 1 (grey) or 3 (RGB)");
        }
        long expected = (long) b * c * h * w;
        if (data.length != expected) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + expected + " values, got "
                    + data.length);
        }
        List<BufferedImage> tiles = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            tiles.add(tile(data, i, c, h, w));
        }
        return new ImageGrid(tiles, List.of(), defaultColumns(b), Math.max(1, (MIN_TILE + w - 1) / w), null);
    }

    public static ImageGrid of(List<BufferedImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("an image grid needs at least one image");
        }
        int w = images.get(0).getWidth();
        return new ImageGrid(images, List.of(), defaultColumns(images.size()), Math.max(1, (MIN_TILE + w - 1) / w), null);
    }

    private static int defaultColumns(int n) {
        return Math.min(n, 8);
    }

    private static BufferedImage tile(float[] data, int b, int c, int h, int w) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int plane = h * w;
        int base = b * c * plane;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x;
                float r = data[base + p];
                float g = c == 3 ? data[base + plane + p] : r;
                float bl = c == 3 ? data[base + 2 * plane + p] : r;
                if (Float.isNaN(r) || Float.isNaN(g) || Float.isNaN(bl)) {
                    img.setRGB(x, y, NAN_PIXEL.getRGB());
                } else {
                    img.setRGB(x, y, (toByte(r) << 16) | (toByte(g) << 8) | toByte(bl));
                }
            }
        }
        return img;
    }

    /** [-1, 1] -> 0..255, as {@code (x + 1) * 127.5} rounded, clamped. */
    static int toByte(float v) {
        int i = Math.round((v + 1f) * 127.5f);
        return Math.max(0, Math.min(255, i));
    }

    /** One caption per image, shown under it (e.g. the prompt, or "8 steps"). */
    public ImageGrid captions(List<String> newCaptions) {
        if (newCaptions.size() != tiles.size()) {
            throw new IllegalArgumentException(newCaptions.size() + " captions for " + tiles.size() + " images; give one"
                    + " caption per image");
        }
        return new ImageGrid(tiles, newCaptions, columns, scale, title);
    }

    public ImageGrid captions(String... newCaptions) {
        return captions(Arrays.asList(newCaptions));
    }

    public ImageGrid columns(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("columns " + n + " is not allowed; use 1 or more");
        }
        return new ImageGrid(tiles, captions, n, scale, title);
    }

    /** Integer upscaling of each tile (nearest neighbour). */
    public ImageGrid scale(int s) {
        if (s < 1 || s > 32) {
            throw new IllegalArgumentException("scale " + s + " is not allowed; use 1..32");
        }
        return new ImageGrid(tiles, captions, columns, s, title);
    }

    public ImageGrid title(String t) {
        return new ImageGrid(tiles, captions, columns, scale, t);
    }

    public int count() {
        return tiles.size();
    }

    /** Image {@code i} at its own size. */
    public BufferedImage tile(int i) {
        BufferedImage src = tiles.get(i);
        BufferedImage copy = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        copy.getGraphics().drawImage(src, 0, 0, null);
        return copy;
    }

    public BufferedImage image() {
        int tw = tiles.stream().mapToInt(BufferedImage::getWidth).max().orElse(1) * scale;
        int th = tiles.stream().mapToInt(BufferedImage::getHeight).max().orElse(1) * scale;
        int cols = Math.min(columns, tiles.size());
        int rows = (tiles.size() + cols - 1) / cols;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        int captionH = captions.isEmpty() ? 0 : 16;
        int titleH = title == null ? 0 : 20;
        int width = PAD + cols * (tw + PAD);
        int height = titleH + PAD + rows * (th + captionH + PAD);
        BufferedImage out = Png.canvas(width, height);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setFont(font);
        FontMetrics fm = g.getFontMetrics();
        g.setColor(Color.DARK_GRAY);
        if (title != null) {
            g.setFont(font.deriveFont(Font.BOLD, 13f));
            g.drawString(title, PAD, 15);
            g.setFont(font);
        }
        for (int i = 0; i < tiles.size(); i++) {
            int x = PAD + (i % cols) * (tw + PAD);
            int y = titleH + PAD + (i / cols) * (th + captionH + PAD);
            BufferedImage t = tiles.get(i);
            g.drawImage(t, x, y, t.getWidth() * scale, t.getHeight() * scale, null);
            if (!captions.isEmpty()) {
                String cap = fit(captions.get(i), fm, tw);
                g.drawString(cap, x + (tw - fm.stringWidth(cap)) / 2, y + th + 12);
            }
        }
        g.dispose();
        return out;
    }

    private static String fit(String s, FontMetrics fm, int width) {
        if (fm.stringWidth(s) <= width) {
            return s;
        }
        String cut = s;
        while (cut.length() > 1 && fm.stringWidth(cut + "...") > width) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "...";
    }

    @Override
    public MimeBundle bundle() {
        return MimeBundle.text(toString()).withPng(Png.encode(image()));
    }

    /** {@code "ImageGrid 16 images 32x32: a red circle, ..."}. */
    @Override
    public String toString() {
        BufferedImage first = tiles.get(0);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "ImageGrid %d image%s %dx%d", tiles.size(),
                tiles.size() == 1 ? "" : "s", first.getWidth(), first.getHeight()));
        if (title != null) {
            sb.append(" '").append(title).append('\'');
        }
        if (!captions.isEmpty()) {
            sb.append(": ").append(String.join(" | ", captions.subList(0, Math.min(4, captions.size()))));
            if (captions.size() > 4) {
                sb.append(" | ...");
            }
        }
        return sb.toString();
    }
}
