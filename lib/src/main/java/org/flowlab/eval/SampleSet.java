package org.flowlab.eval;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.Collections;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SampleResult;
import org.flowlab.io.AtomicFiles;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Shapes;
import org.flowlab.viz.ImageGrid;

/**
 * Generated images on disk: one PNG per (prompt, seed), {@code manifest.json} (a list of {@code prompt, seed, steps,
 * nfe, file, seconds} plus the method's settings) and {@code grid.png}. What {@code flowlab sample} writes and
 * {@code flowlab eval} reads.
 */
public final class SampleSet {
    public static final String MANIFEST = "manifest.json";
    public static final String GRID = "grid.png";

    /** One image and how it was made; {@code image} is CHW in [-1, 1]. */
    public record Entry(String prompt, long seed, int steps, int nfe, String file, double seconds, String method,
                        double shift, double loraScale, double cfg, float[] image) {
    }

    /**
     * Images just sampled, in (prompt, seed) order, with the trace of the first call's Euler steps.
     *
     * @param shape (C, H, W) of one image
     */
    public record Generated(List<Entry> entries, long[] shape, List<SampleResult.TraceStep> trace) {
        /** The images as one grid: one prompt -> a square grid, several -> a row per prompt (8 columns at most). */
        public ImageGrid grid(int prompts, String title) {
            int per = Shapes.size(shape);
            float[] flat = new float[entries.size() * per];
            for (int i = 0; i < entries.size(); i++) {
                System.arraycopy(entries.get(i).image(), 0, flat, i * per, per);
            }
            return ImageGrid.of(flat, Shapes.batched(entries.size(), shape))
                    .columns(gridColumns(prompts, entries.size() / Math.max(1, prompts))).title(title);
        }
    }

    private SampleSet() {
    }

    /**
     * Samples every (prompt, seed) through the model, {@code batch} seeds of one prompt per call; sample
     * (prompt p, seed s) starts from the noise of seed s whatever the batch, so the same seed gives the same initial
     * noise for every method and step count.
     *
     * @param method the name the manifest records
     * @param shift the schedule shift the manifest records (NaN for a hand-made schedule)
     */
    public static Generated generate(DiffusionModel model, String method, Pipeline.Request request, double shift,
                                     List<String> prompts, long[] seeds, int batch) {
        if (seeds.length == 0 || prompts.isEmpty()) {
            throw new IllegalArgumentException("nothing to sample: " + prompts.size() + " prompts, " + seeds.length + " seeds");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch " + batch + " is not allowed; use 1 or more");
        }
        List<Entry> entries = new ArrayList<>();
        List<SampleResult.TraceStep> trace = null;
        long[] shape = model.pixelShape();
        int per = Shapes.size(shape);
        for (int p = 0; p < prompts.size(); p++) {
            for (int from = 0; from < seeds.length; from += batch) {
                long[] chunk = Arrays.copyOfRange(seeds, from, Math.min(seeds.length, from + batch));
                try (NDManager m = model.transformer().manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
                    long t0 = System.nanoTime();
                    SampleResult r = Pipeline.latents(model, request, Collections.nCopies(chunk.length, prompts.get(p)),
                            chunk, m, org.flowlab.progress.ProgressListener.NONE);
                    NDArray pixels = model.codec().decode(r.images());
                    float[] images = pixels.toFloatArray();
                    double seconds = (System.nanoTime() - t0) / 1e9 / chunk.length;
                    trace = trace == null ? r.trace() : trace;
                    for (int i = 0; i < chunk.length; i++) {
                        entries.add(new Entry(prompts.get(p), chunk[i], request.plan().steps().size(), request.plan().nfe(),
                                fileName(p, chunk[i]), seconds, method, shift, request.loraScale(),
                                request.plan().guidanceScale(), Arrays.copyOfRange(images, i * per, (i + 1) * per)));
                    }
                }
            }
        }
        return new Generated(entries, shape, trace);
    }

    /** Writes generated images: every PNG, the manifest and the grid. */
    public static void write(Path dir, Generated g, String gridTitle, int prompts) throws IOException {
        write(dir, g.entries(), g.grid(prompts, gridTitle).image(), (int) g.shape()[0], (int) g.shape()[1],
                (int) g.shape()[2]);
    }

    /** One prompt: a square grid (16 seeds, 4x4); several: one row per prompt. At most 8 columns either way. */
    public static int gridColumns(int prompts, int seeds) {
        return Math.min(8, prompts == 1 ? (int) Math.ceil(Math.sqrt(seeds)) : seeds);
    }

    /** Writes every entry's PNG, then the manifest (each file atomically), then the grid. */
    public static void write(Path dir, List<Entry> entries, BufferedImage grid, int channels, int height, int width)
            throws IOException {
        Files.createDirectories(dir);
        JsonArray manifest = new JsonArray();
        for (Entry e : entries) {
            AtomicFiles.write(dir.resolve(e.file()), png(toImage(e.image(), channels, height, width)));
            JsonObject o = new JsonObject();
            o.addProperty("prompt", e.prompt());
            o.addProperty("seed", e.seed());
            o.addProperty("steps", e.steps());
            o.addProperty("nfe", e.nfe());
            o.addProperty("file", e.file());
            o.addProperty("seconds", e.seconds());
            o.addProperty("method", e.method());
            o.addProperty("shift", e.shift());
            o.addProperty("lora_scale", e.loraScale());
            o.addProperty("cfg", e.cfg());
            manifest.add(o);
        }
        AtomicFiles.write(dir.resolve(MANIFEST), new GsonBuilder().setPrettyPrinting().create().toJson(manifest)
                .getBytes(StandardCharsets.UTF_8));
        if (grid != null) {
            AtomicFiles.write(dir.resolve(GRID), png(grid));
        }
    }

    /** Reads the manifest and every PNG it names (errors name the file). */
    public static List<Entry> read(Path dir) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new IOException(dir + " has no " + MANIFEST + "; write one with ./flowlab sample --out " + dir);
        }
        List<Entry> out = new ArrayList<>();
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(manifest, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IOException(manifest + " is not valid JSON (" + e.getMessage() + ")", e);
        }
        for (JsonElement el : root.getAsJsonArray()) {
            JsonObject o = el.getAsJsonObject();
            String file = o.get("file").getAsString();
            BufferedImage img = ImageIO.read(dir.resolve(file).toFile());
            if (img == null) {
                throw new IOException(dir.resolve(file) + " cannot be read as an image");
            }
            out.add(new Entry(o.get("prompt").getAsString(), o.get("seed").getAsLong(), o.get("steps").getAsInt(),
                    o.get("nfe").getAsInt(), file, o.get("seconds").getAsDouble(),
                    o.has("method") ? o.get("method").getAsString() : dir.getFileName().toString(),
                    o.has("shift") ? o.get("shift").getAsDouble() : Double.NaN,
                    o.has("lora_scale") ? o.get("lora_scale").getAsDouble() : 0,
                    o.has("cfg") ? o.get("cfg").getAsDouble() : 1, toPixels(img)));
        }
        return out;
    }

    /** {@code 003-seed12.png}. */
    public static String fileName(int promptIndex, long seed) {
        return String.format(Locale.ROOT, "%03d-seed%d.png", promptIndex, seed);
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        return bytes.toByteArray();
    }

    /** CHW [-1, 1] -> RGB image, {@code (x + 1) * 127.5} rounded and clamped. */
    public static BufferedImage toImage(float[] chw, int channels, int height, int width) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = y * width + x;
                int r = toByte(chw[p]);
                int g = channels == 3 ? toByte(chw[plane + p]) : r;
                int b = channels == 3 ? toByte(chw[2 * plane + p]) : r;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    static float[] toPixels(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] out = new float[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                out[y * w + x] = ((rgb >> 16) & 0xff) / 127.5f - 1;
                out[h * w + y * w + x] = ((rgb >> 8) & 0xff) / 127.5f - 1;
                out[2 * h * w + y * w + x] = (rgb & 0xff) / 127.5f - 1;
            }
        }
        return out;
    }

    private static int toByte(float v) {
        if (Float.isNaN(v)) {
            return 0;
        }
        return Math.max(0, Math.min(255, Math.round((v + 1f) * 127.5f)));
    }
}
