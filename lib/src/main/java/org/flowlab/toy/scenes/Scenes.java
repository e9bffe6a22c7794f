package org.flowlab.toy.scenes;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.flowlab.toy.ShapeAttributes;
import org.flowlab.toy.ShapeAttributes.Background;
import org.flowlab.toy.ShapeAttributes.Colour;
import org.flowlab.toy.ShapeAttributes.Position;
import org.flowlab.toy.ShapeAttributes.Shape;
import org.flowlab.toy.ShapeAttributes.Size;
import org.flowlab.toy.scenes.SceneSpec.ObjectSpec;
import org.flowlab.toy.scenes.SceneSpec.Rotation;
import org.flowlab.toy.scenes.SceneSpec.Texture;

/**
 * The second toy world: 64x64 RGB scenes of one to three textured, rotated shapes, drawn from captions that leave
 * most of the picture open. Every free attribute is drawn per sample, from a distribution with separate modes
 * (small or large, one of nine cells, plain or textured, upright or tilted), so a prompt's images spread over many
 * pictures, as real prompts' do. Generated from (index, seed) with no files. Three colour-shape pairs never appear in
 * training, named or drawn (the held-out set).
 */
public final class Scenes {
    public static final int SIZE = 64;
    public static final int CHANNELS = 3;
    private static final int SUPERSAMPLE = 3;
    /** Cell centres of the 3x3 grid. */
    private static final double[] CENTRES = {SIZE / 6.0, SIZE / 2.0, SIZE * 5 / 6.0};
    private static final double JITTER = 3.0;

    /** Colour-shape pairs kept out of training (the first world's). */
    public static final Set<List<Enum<?>>> HELD_OUT_PAIRS = Set.of(
            List.of(Colour.RED, Shape.TRIANGLE), List.of(Colour.BLUE, Shape.CIRCLE), List.of(Colour.YELLOW, Shape.SQUARE));

    private Scenes() {
    }

    /** One object as drawn: its attributes (none free) and its geometry in pixels. */
    public record Drawn(Size size, Colour colour, Texture texture, Shape shape, Position position, Rotation rotation,
                        double cx, double cy, double radius, double angle) {
    }

    /** A scene as drawn, painting order. */
    public record Scene(List<Drawn> objects, Background background) {
        public Scene {
            objects = List.copyOf(objects);
        }
    }

    /** One rendered picture: the caption it was drawn from, what was drawn, and the pixels (CHW in [-1, 1]). */
    public record Sample(long index, long seed, SceneSpec spec, Scene scene, float[] image) {
        public String caption() {
            return spec.caption();
        }
    }

    /** Images as one (B, C, H, W) array. */
    public static ai.djl.ndarray.NDArray batch(List<Sample> samples, ai.djl.ndarray.NDManager manager) {
        int per = CHANNELS * SIZE * SIZE;
        float[] data = new float[samples.size() * per];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(samples.get(i).image(), 0, data, i * per, per);
        }
        return org.flowlab.model.OwnedArrays.create(manager, data,
                new ai.djl.ndarray.types.Shape(samples.size(), CHANNELS, SIZE, SIZE));
    }

    /** Training batches of held-in samples, sample indices drawn from the step's generator. */
    public static org.flowlab.train.TrainingBatch.Source trainingSource(long seed) {
        return (step, size, rng, manager) -> {
            List<Sample> samples = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                samples.add(sample(rng.nextLong() & Long.MAX_VALUE, seed));
            }
            return new org.flowlab.train.TrainingBatch(batch(samples, manager), samples.stream().map(Sample::caption).toList());
        };
    }

    /**
     * Training batches on latents: {@code count} training samples encoded by {@code codec} once, up front (a VAE
     * encoder per step would cost more than the step), then drawn at random each step.
     */
    public static org.flowlab.train.TrainingBatch.Source latentSource(org.flowlab.model.LatentCodec codec, int count,
                                                                      long seed, ai.djl.ndarray.NDManager manager) {
        long[] shape = codec.latentShape();
        int per = org.flowlab.model.Shapes.size(shape);
        float[] latents = new float[count * per];
        String[] captions = new String[count];
        for (int from = 0; from < count; from += 64) {
            List<Sample> chunk = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + 64); i++) {
                Sample s = sample(i, seed);
                chunk.add(s);
                captions[i] = s.caption();
            }
            try (ai.djl.ndarray.NDManager m = manager.newSubManager();
                 org.flowlab.model.NoGrad ng = org.flowlab.model.NoGrad.enter()) {
                float[] z = codec.encode(batch(chunk, m)).toFloatArray();
                System.arraycopy(z, 0, latents, from * per, z.length);
            }
        }
        return (step, size, rng, m) -> {
            float[] x = new float[size * per];
            List<String> prompts = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                int k = rng.nextInt(count);
                System.arraycopy(latents, k * per, x, i * per, per);
                prompts.add(captions[k]);
            }
            return new org.flowlab.train.TrainingBatch(org.flowlab.model.OwnedArrays.create(m, x,
                    new ai.djl.ndarray.types.Shape(org.flowlab.model.Shapes.batched(size, shape))), prompts);
        };
    }

    /** Whether the caption names, for one object, a colour-shape pair training never shows. */
    public static boolean isHeldOut(SceneSpec spec) {
        return spec.objects().stream().anyMatch(o -> o.colour() != null && o.shape() != null
                && HELD_OUT_PAIRS.contains(List.of(o.colour(), o.shape())));
    }

    /** Training sample {@code index} of the world with this seed: a held-in caption and one picture of it. */
    public static Sample sample(long index, long seed) {
        SplittableRandom rng = new SplittableRandom(mix(seed, index));
        SceneSpec spec;
        do {
            spec = trainingSpec(rng);
        } while (isHeldOut(spec));
        Scene scene = draw(spec, rng);
        return new Sample(index, seed, spec, scene, render(scene));
    }

    /**
     * A scene for training the judge, which must read what no generator was trained on: captions and free attributes
     * over every colour-shape pair, held-out ones included.
     */
    public static Sample judgeSample(long index, long seed) {
        SplittableRandom rng = new SplittableRandom(mix(seed ^ 0x5EED, index));
        SceneSpec spec = trainingSpec(rng);
        Scene scene = draw(spec, rng, true);
        return new Sample(index, seed, spec, scene, render(scene));
    }

    /** One picture of this caption (held-out ones too: the real images for metrics), keyed by its text and seed. */
    public static Sample render(SceneSpec spec, long seed) {
        Scene scene = draw(spec, new SplittableRandom(mix(seed, spec.caption().hashCode())));
        return new Sample(-1, seed, spec, scene, render(scene));
    }

    /**
     * A training caption: one object (60%), two (30%) or three (10%); a fifth of the captions name everything
     * about a single object (the first world's full captions), the others each attribute with probability 0.35,
     * the shape with 0.7 and the background with 0.5, so short and full captions both appear.
     */
    static SceneSpec trainingSpec(SplittableRandom rng) {
        if (rng.nextDouble() < 0.2) {
            ObjectSpec o = new ObjectSpec(pick(rng, Size.values()), pick(rng, Colour.values()),
                    pick(rng, Texture.values()), pick(rng, Shape.values()), pick(rng, Position.values()),
                    pick(rng, Rotation.values()));
            return new SceneSpec(List.of(o), pick(rng, Background.values()));
        }
        double u = rng.nextDouble();
        int n = u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
        List<ObjectSpec> objects = new ArrayList<>();
        List<Position> cells = shuffledCells(rng);
        for (int k = 0; k < n; k++) {
            objects.add(new ObjectSpec(maybe(rng, 0.35, Size.values()), maybe(rng, 0.35, Colour.values()),
                    maybe(rng, 0.35, Texture.values()), maybe(rng, 0.7, Shape.values()),
                    rng.nextDouble() < 0.35 ? cells.get(k) : null, maybe(rng, 0.35, Rotation.values())));
        }
        return new SceneSpec(objects, maybe(rng, 0.5, Background.values()));
    }

    /** Draws every free attribute: uniform over each attribute's values, cells not shared, held-out pairs avoided. */
    public static Scene draw(SceneSpec spec, SplittableRandom rng) {
        return draw(spec, rng, false);
    }

    private static Scene draw(SceneSpec spec, SplittableRandom rng, boolean heldOutToo) {
        List<Position> free = shuffledCells(rng);
        spec.objects().forEach(o -> free.remove(o.position()));
        List<Drawn> drawn = new ArrayList<>();
        for (ObjectSpec o : spec.objects()) {
            Colour colour;
            Shape shape;
            do {
                colour = o.colour() != null ? o.colour() : pick(rng, Colour.values());
                shape = o.shape() != null ? o.shape() : pick(rng, Shape.values());
            } while (!heldOutToo && (o.colour() == null || o.shape() == null)
                    && HELD_OUT_PAIRS.contains(List.of(colour, shape)));
            Size size = o.size() != null ? o.size() : pick(rng, Size.values());
            Texture texture = o.texture() != null ? o.texture()
                    : rng.nextDouble() < 0.5 ? Texture.PLAIN : pick(rng, new Texture[] {Texture.STRIPED,
                        Texture.CHECKERED, Texture.DOTTED});
            Position position = o.position() != null ? o.position() : free.remove(0);
            Rotation rotation = o.rotation() != null ? o.rotation() : pick(rng, Rotation.values());
            double radius = size == Size.SMALL ? 5 + 2.5 * rng.nextDouble() : 10 + 3 * rng.nextDouble();
            double cx = CENTRES[position.ordinal() % 3] + JITTER * (2 * rng.nextDouble() - 1);
            double cy = CENTRES[position.ordinal() / 3] + JITTER * (2 * rng.nextDouble() - 1);
            double angle = rotation == Rotation.UPRIGHT ? 0 : Math.toRadians(20 + 50 * rng.nextDouble());
            drawn.add(new Drawn(size, colour, texture, shape, position, rotation, cx, cy, radius, angle));
        }
        return new Scene(drawn, spec.background() != null ? spec.background() : pick(rng, Background.values()));
    }

    /** CHW floats in [-1, 1]: the background, then each object painted over it, anti-aliased. */
    public static float[] render(Scene scene) {
        float level = backgroundLevel(scene.background());
        float[] rgb = new float[CHANNELS * SIZE * SIZE];
        java.util.Arrays.fill(rgb, level);
        float[] sub = new float[CHANNELS];
        for (Drawn d : scene.objects()) {
            double cos = Math.cos(d.angle());
            double sin = Math.sin(d.angle());
            float[] colour = colour(d.colour());
            double reach = d.radius() * 1.5 + 1;
            int x0 = Math.max(0, (int) (d.cx() - reach));
            int x1 = Math.min(SIZE - 1, (int) (d.cx() + reach));
            int y0 = Math.max(0, (int) (d.cy() - reach));
            int y1 = Math.min(SIZE - 1, (int) (d.cy() + reach));
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    int inside = 0;
                    java.util.Arrays.fill(sub, 0);
                    for (int sy = 0; sy < SUPERSAMPLE; sy++) {
                        for (int sx = 0; sx < SUPERSAMPLE; sx++) {
                            double px = x + (sx + 0.5) / SUPERSAMPLE - d.cx();
                            double py = y + (sy + 0.5) / SUPERSAMPLE - d.cy();
                            double u = cos * px + sin * py; // the object's own axes
                            double v = -sin * px + cos * py;
                            if (contains(d.shape(), u, v, d.radius())) {
                                inside++;
                                float shade = dark(d.texture(), u, v, d.radius()) ? 0.35f : 1f;
                                for (int c = 0; c < CHANNELS; c++) {
                                    sub[c] += colour[c] * shade;
                                }
                            }
                        }
                    }
                    if (inside == 0) {
                        continue;
                    }
                    double coverage = inside / (double) (SUPERSAMPLE * SUPERSAMPLE);
                    for (int c = 0; c < CHANNELS; c++) {
                        int at = (c * SIZE + y) * SIZE + x;
                        rgb[at] = (float) (rgb[at] * (1 - coverage) + sub[c] / (SUPERSAMPLE * SUPERSAMPLE));
                    }
                }
            }
        }
        float[] out = new float[rgb.length];
        for (int k = 0; k < rgb.length; k++) {
            out[k] = 2 * rgb[k] - 1;
        }
        return out;
    }

    /** (u, v) in the object's axes relative to its centre; r is the circumscribed radius. */
    static boolean contains(Shape shape, double u, double v, double r) {
        return switch (shape) {
            case CIRCLE -> u * u + v * v <= r * r;
            case SQUARE -> Math.abs(u) <= 0.75 * r && Math.abs(v) <= 0.75 * r;
            case TRIANGLE -> {
                if (v > 0.8 * r || v < -r) {
                    yield false;
                }
                yield Math.abs(u) <= 0.95 * r * (v + r) / (1.8 * r);
            }
        };
    }

    /** Whether the texture is in its dark shade at (u, v): stripes, checks or dots of a third of the radius. */
    static boolean dark(Texture texture, double u, double v, double r) {
        double p = Math.max(2.5, r / 3);
        return switch (texture) {
            case PLAIN -> false;
            case STRIPED -> Math.floorMod((long) Math.floor(u / p), 2) == 0;
            case CHECKERED -> Math.floorMod((long) Math.floor(u / p) + (long) Math.floor(v / p), 2) == 0;
            case DOTTED -> {
                double du = u / p - Math.floor(u / p) - 0.5;
                double dv = v / p - Math.floor(v / p) - 0.5;
                yield du * du + dv * dv < 0.09;
            }
        };
    }

    static float backgroundLevel(Background b) {
        return switch (b) {
            case BLACK -> 0f;
            case WHITE -> 1f;
            case GRAY -> 0.5f;
        };
    }

    static float[] colour(Colour c) {
        return c.rgb();
    }

    private static List<Position> shuffledCells(SplittableRandom rng) {
        List<Position> cells = new ArrayList<>(List.of(Position.values()));
        for (int k = cells.size() - 1; k > 0; k--) {
            java.util.Collections.swap(cells, k, rng.nextInt(k + 1));
        }
        return cells;
    }

    private static <E> E pick(SplittableRandom rng, E[] values) {
        return values[rng.nextInt(values.length)];
    }

    private static <E> E maybe(SplittableRandom rng, double p, E[] values) {
        return rng.nextDouble() < p ? pick(rng, values) : null;
    }

    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
