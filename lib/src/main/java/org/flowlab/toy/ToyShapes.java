package org.flowlab.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.flowlab.model.OwnedArrays;
import org.flowlab.train.TrainingBatch;

/**
 * The captioned-shapes world: one anti-aliased shape on a plain background, 32x32 RGB in [-1, 1], generated from
 * (index, seed) with no files. Three colour-shape pairs never appear in training (the held-out set), so a model's
 * generalisation to unseen prompts can be measured, as the Glance and SCFM papers claim for theirs.
 */
public final class ToyShapes {
    public static final int SIZE = 32;
    public static final int CHANNELS = 3;
    private static final int SUPERSAMPLE = 4;

    /** Colour-shape pairs kept out of training. */
    public static final Set<List<Enum<?>>> HELD_OUT_PAIRS = Set.of(
            List.of(ShapeAttributes.Colour.RED, ShapeAttributes.Shape.TRIANGLE),
            List.of(ShapeAttributes.Colour.BLUE, ShapeAttributes.Shape.CIRCLE),
            List.of(ShapeAttributes.Colour.YELLOW, ShapeAttributes.Shape.SQUARE));

    private static final List<ShapeAttributes> HELD_IN = new ArrayList<>();
    private static final List<ShapeAttributes> HELD_OUT = new ArrayList<>();

    static {
        for (ShapeAttributes a : ShapeAttributes.all()) {
            (isHeldOut(a) ? HELD_OUT : HELD_IN).add(a);
        }
    }

    private ToyShapes() {
    }

    /** One rendered image with what it shows. */
    public record Sample(long index, long seed, ShapeAttributes attributes, float[] image) {
        public String caption() {
            return attributes.caption();
        }
    }

    public static boolean isHeldOut(ShapeAttributes a) {
        return HELD_OUT_PAIRS.contains(List.of(a.colour(), a.shape()));
    }

    /** The 810 combinations training may use. */
    public static List<ShapeAttributes> heldIn() {
        return List.copyOf(HELD_IN);
    }

    /** The 162 combinations it never sees. */
    public static List<ShapeAttributes> heldOut() {
        return List.copyOf(HELD_OUT);
    }

    /** Training sample {@code index} of the world with this seed: a held-in combination and its jitter. */
    public static Sample sample(long index, long seed) {
        SplittableRandom rng = new SplittableRandom(mix(seed, index));
        ShapeAttributes a = HELD_IN.get(rng.nextInt(HELD_IN.size()));
        return new Sample(index, seed, a, render(a, rng));
    }

    /**
     * These attributes drawn with the jitter of {@code seed} (held-out ones too: the real images for metrics). The
     * stream is keyed by the caption's String hash, which Java defines: a record's own hash mixes its enums'
     * identity hashes and would change from one JVM to the next.
     */
    public static Sample render(ShapeAttributes a, long seed) {
        return new Sample(-1, seed, a, render(a, new SplittableRandom(mix(seed, a.caption().hashCode()))));
    }

    /** Grid centres 9 px apart around the middle, so a large shape at an edge stays (almost) in frame. */
    private static final double[] CENTRES = {7, 16, 25};

    /** CHW floats in [-1, 1]; position jitter +-1 px and size jitter +-10% come from {@code rng}. */
    static float[] render(ShapeAttributes a, SplittableRandom rng) {
        double cx = CENTRES[a.position().col] + (rng.nextDouble() * 2 - 1);
        double cy = CENTRES[a.position().row] + (rng.nextDouble() * 2 - 1);
        double r = a.size().radius * (0.9 + 0.2 * rng.nextDouble());
        float[] rgb = a.colour().rgb();
        float bg = a.background().level;
        float[] out = new float[CHANNELS * SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double coverage = 0;
                if (Math.abs(x + 0.5 - cx) <= r + 1 && Math.abs(y + 0.5 - cy) <= r + 1) {
                    int inside = 0;
                    for (int sy = 0; sy < SUPERSAMPLE; sy++) {
                        for (int sx = 0; sx < SUPERSAMPLE; sx++) {
                            double px = x + (sx + 0.5) / SUPERSAMPLE - cx;
                            double py = y + (sy + 0.5) / SUPERSAMPLE - cy;
                            inside += contains(a.shape(), px, py, r) ? 1 : 0;
                        }
                    }
                    coverage = inside / (double) (SUPERSAMPLE * SUPERSAMPLE);
                }
                for (int c = 0; c < CHANNELS; c++) {
                    double v = bg * (1 - coverage) + rgb[c] * coverage;
                    out[(c * SIZE + y) * SIZE + x] = (float) (2 * v - 1);
                }
            }
        }
        return out;
    }

    /** Point (px, py) relative to the centre; r is the circumscribed radius. */
    private static boolean contains(ShapeAttributes.Shape shape, double px, double py, double r) {
        return switch (shape) {
            case CIRCLE -> px * px + py * py <= r * r;
            case SQUARE -> Math.abs(px) <= 0.82 * r && Math.abs(py) <= 0.82 * r;
            case TRIANGLE -> {
                // apex up at (0, -r); base from (-0.95r, 0.8r) to (0.95r, 0.8r)
                if (py > 0.8 * r || py < -r) {
                    yield false;
                }
                double halfWidth = 0.95 * r * (py + r) / (1.8 * r);
                yield Math.abs(px) <= halfWidth;
            }
        };
    }

    /** Images as one (B, C, H, W) array. */
    public static NDArray batch(List<Sample> samples, NDManager manager) {
        float[] data = new float[samples.size() * CHANNELS * SIZE * SIZE];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(samples.get(i).image(), 0, data, i * CHANNELS * SIZE * SIZE, CHANNELS * SIZE * SIZE);
        }
        return OwnedArrays.create(manager, data, new Shape(samples.size(), CHANNELS, SIZE, SIZE));
    }

    /** Training batches of held-in samples: sample indices drawn from the step's generator. */
    public static TrainingBatch.Source trainingSource(long seed) {
        return (step, size, rng, manager) -> {
            List<Sample> samples = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                samples.add(sample(rng.nextLong() & Long.MAX_VALUE, seed));
            }
            return new TrainingBatch(batch(samples, manager), samples.stream().map(Sample::caption).toList());
        };
    }

    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
