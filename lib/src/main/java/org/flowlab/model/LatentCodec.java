package org.flowlab.model;

import ai.djl.ndarray.NDArray;

/**
 * Pixels to latents and back (AutoencoderKL for real models, with its scaling and shift factors inside), so
 * trainers, caches and samplers work on latents while data loaders and metrics work on pixels in [-1, 1].
 * A pixel-space model uses {@link #identity}.
 */
public interface LatentCodec {

    /** (C, H, W) of one image. */
    long[] pixelShape();

    /** (C, H, W) of one latent. */
    long[] latentShape();

    /** pixels (B, C, H, W) in [-1, 1] -> latents (B, c, h, w). */
    NDArray encode(NDArray pixels);

    /** latents (B, c, h, w) -> pixels (B, C, H, W), roughly in [-1, 1]. */
    NDArray decode(NDArray latents);

    /**
     * What {@link #encode} depends on, as a hash (caches key stored latents by it). By default the codec's
     * description and shapes, right for the identity; a learned codec hashes its weights or their files.
     */
    default String fingerprint() {
        return Fingerprint.of("codec").add(toString()).add(Shapes.text(pixelShape())).add(Shapes.text(latentShape()))
                .hex();
    }

    /** Checks one image's (C, H, W) against {@link #pixelShape()}; the message names both sizes. */
    default void requireImage(long[] shape) {
        if (!java.util.Arrays.equals(shape, pixelShape())) {
            throw new IllegalArgumentException("the image is " + Shapes.text(shape) + " but this model's codec takes "
                    + Shapes.text(pixelShape()) + " images");
        }
    }

    /** The codec of a model that works on pixels. */
    static LatentCodec identity(long... shape) {
        long[] s = shape.clone();
        return new LatentCodec() {
            @Override
            public long[] pixelShape() {
                return s.clone();
            }

            @Override
            public long[] latentShape() {
                return s.clone();
            }

            @Override
            public NDArray encode(NDArray pixels) {
                return pixels;
            }

            @Override
            public NDArray decode(NDArray latents) {
                return latents;
            }

            @Override
            public String toString() {
                return "identity codec " + Shapes.text(s);
            }
        };
    }
}
