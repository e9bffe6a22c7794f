package org.flowlab.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flowlab.data.ImageFolder;
import org.flowlab.io.DType;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.model.Fingerprint;
import org.flowlab.model.LatentCodec;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Shapes;

/**
 * Latents of user images on disk, one file per image and resolution bucket: named by a hash of the image file's
 * bytes, the bucket (the codec's pixel size) and the codec's {@link LatentCodec#fingerprint() fingerprint}, so an
 * edited image, another bucket or another VAE never reads a stale latent. Files are written atomically.
 */
public final class LatentCache {
    private final Path dir;
    private int encoded;

    private LatentCache(Path dir) {
        this.dir = dir;
    }

    public static LatentCache at(Path dir) {
        return new LatentCache(dir);
    }

    public Path directory() {
        return dir;
    }

    /** How many images this cache has run the codec for. */
    public synchronized int encodedImages() {
        return encoded;
    }

    /**
     * The image's latents (1, c, h, w) at the codec's pixel size: read from disk, or the image scaled to cover the
     * size, centre-cropped, encoded and stored.
     *
     * @throws IllegalArgumentException naming the file when it is missing or not an image, or naming both sizes when
     *     it is smaller than the codec's
     */
    public synchronized NDArray latents(Path image, LatentCodec codec, NDManager manager) throws IOException {
        long[] px = codec.pixelShape();
        int width = (int) px[2];
        int height = (int) px[1];
        byte[] bytes = ImageFolder.readBytes(image);
        Path file = dir.resolve(Fingerprint.of("latents").add(bytes).add(width).add(height).add(codec.fingerprint()).hex()
                + ".safetensors");
        long[] shape = Shapes.batched(1, codec.latentShape());
        Tensor cached = read(file, shape);
        if (cached != null) {
            return OwnedArrays.create(manager, cached.data(), new ai.djl.ndarray.types.Shape(shape));
        }
        float[] pixels = ImageFolder.loadImage(image, width, height);
        NDArray z;
        try (NoGrad ng = NoGrad.enter()) {
            z = codec.encode(OwnedArrays.create(manager, pixels, new ai.djl.ndarray.types.Shape(Shapes.batched(1, px))));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("image", image.toAbsolutePath().toString());
        meta.put("size", width + "x" + height);
        Files.createDirectories(dir);
        SafeTensors.write(file, Map.of("latents", new Tensor(shape, z.toFloatArray())), meta, DType.F32);
        encoded++;
        return z;
    }

    /** The stored latent, or null when absent, unreadable or of another shape (then it is encoded again). */
    private static Tensor read(Path file, long[] shape) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            Tensor t = SafeTensors.read(file).tensor("latents");
            return java.util.Arrays.equals(t.shape(), shape) ? t : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
