package org.flowlab.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.flowlab.model.OwnedArrays;

/**
 * Gaussian noise drawn in Java from explicit seeds, so the same seed gives the same initial noise for every method,
 * step count, batch composition and device (fidelity comparisons depend on it), and a resumed run draws what an
 * uninterrupted one would have.
 */
public final class Noise {
    private Noise() {
    }

    /** One (C,H,W) sample per seed: (B,C,H,W). */
    public static NDArray forSeeds(NDManager manager, long[] seeds, long... sampleShape) {
        long per = new Shape(sampleShape).size();
        float[] data = new float[Math.toIntExact(per * seeds.length)];
        for (int b = 0; b < seeds.length; b++) {
            SplittableRandom rng = new SplittableRandom(seeds[b]);
            int offset = Math.toIntExact(b * per);
            for (int i = 0; i < per; i++) {
                data[offset + i] = (float) rng.nextGaussian();
            }
        }
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = seeds.length;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return OwnedArrays.create(manager, data, new Shape(shape));
    }

    /** A batch of standard normals from one generator. */
    public static NDArray gaussian(NDManager manager, SplittableRandom rng, Shape shape) {
        float[] data = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rng.nextGaussian();
        }
        return OwnedArrays.create(manager, data, shape);
    }

    /** A generator for one purpose of one step of a seeded run: independent streams, reproducible on resume. */
    public static SplittableRandom stream(long seed, long step, int purpose) {
        return new SplittableRandom(mix(mix(seed) ^ (step * 0x9E3779B97F4A7C15L)) + purpose * 0xD1B54A32D192ED03L);
    }

    /** SplitMix64's finaliser: spreads nearby seeds far apart. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
