package org.flowlab.toy.scenes;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flowlab.flow.Noise;
import org.flowlab.model.Engines;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Parameter;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.toy.ShapeAttributes.Background;
import org.flowlab.toy.ShapeAttributes.Colour;
import org.flowlab.toy.ShapeAttributes.Position;
import org.flowlab.toy.ShapeAttributes.Shape;
import org.flowlab.toy.ShapeAttributes.Size;
import org.flowlab.toy.scenes.SceneSpec.ObjectSpec;
import org.flowlab.toy.scenes.SceneSpec.Rotation;
import org.flowlab.toy.scenes.SceneSpec.Texture;
import org.flowlab.train.AdamW;
import org.flowlab.train.OptimizerConfig;

/**
 * The second world's judge: a small CNN that reads a 64x64 scene cell by cell (is there an object whose centre lies
 * in this cell of the 3x3 grid, and its shape, colour, size, texture and rotation) and the background. Adherence
 * then checks only what a caption names ({@link #adherence}). Its 64-d pooled features feed the Frechet distance.
 *
 * <pre>
 * (B,3,64,64) -> conv 3x3 32 -> conv 3x3/2 64 (32x32) -> conv 3x3/2 64 (16x16) -> conv 3x3 64 (16x16)
 *   cells: mean over each cell's block of the 16x16 map (5, 6, 5 rows and columns) -> (B,9,64) -> 19 logits a cell
 *   global: mean over the map -> features 64 -> background logits 3
 * </pre>
 */
public final class SceneClassifier implements AutoCloseable {
    public static final int FEATURES = 64;
    /** The shipped judge in the repository's {@code models/} folder. */
    public static final String SHIPPED_FILE = "scene-classifier.safetensors";
    /** Per cell: occupied (2), shape (3), colour (6), size (2), texture (4), rotation (2). */
    static final int[] CELL_HEADS = {2, Shape.values().length, Colour.values().length, Size.values().length,
        Texture.values().length, Rotation.values().length};
    private static final int[] CELL_EDGES = {0, 5, 11, 16};

    private final NDManager manager;
    private final NamedParameters parameters;
    private final Parameter[] convWeights = new Parameter[4];
    private final Parameter[] convBiases = new Parameter[4];
    private final LinearLayer cellHead;
    private final LinearLayer features;
    private final LinearLayer backgroundHead;

    /** What the classifier reads off one scene: the background, and per cell null (empty) or the object there. */
    public record Reading(Background background, Scenes.Drawn[] cells) {
        /** The ground truth of a drawn scene, as a perfect reader would read it. */
        public static Reading of(Scenes.Scene scene) {
            Scenes.Drawn[] cells = new Scenes.Drawn[9];
            scene.objects().forEach(d -> cells[d.position().ordinal()] = d);
            return new Reading(scene.background(), cells);
        }
    }

    public SceneClassifier(Device device, long seed) {
        manager = Engines.get().newBaseManager(device);
        ModuleBuilder mb = new ModuleBuilder(manager, seed);
        int[] channels = {3, 32, 64, 64, 64};
        for (int i = 0; i < 4; i++) {
            convWeights[i] = mb.tensor("conv" + i + ".weight", new ai.djl.ndarray.types.Shape(channels[i + 1], channels[i],
                    3, 3), Init.XAVIER);
            convBiases[i] = mb.tensor("conv" + i + ".bias", new ai.djl.ndarray.types.Shape(channels[i + 1]), Init.ZERO);
        }
        int total = 0;
        for (int c : CELL_HEADS) {
            total += c;
        }
        cellHead = mb.linear("cell_head", 64, total, true, Init.XAVIER);
        features = mb.linear("features", 64, FEATURES, true, Init.XAVIER);
        backgroundHead = mb.linear("background_head", FEATURES, Background.values().length, true, Init.XAVIER);
        parameters = mb.parameters();
    }

    private NDArray map(NDArray images) {
        NDArray h = images;
        for (int i = 0; i < 4; i++) {
            ai.djl.ndarray.types.Shape stride = i == 1 || i == 2 ? new ai.djl.ndarray.types.Shape(2, 2)
                    : new ai.djl.ndarray.types.Shape(1, 1);
            h = Activation.relu(Conv2d.conv2d(h, convWeights[i].array(), convBiases[i].array(), stride,
                    new ai.djl.ndarray.types.Shape(1, 1)).singletonOrThrow());
        }
        return h; // (B,64,16,16)
    }

    /** (B,9,64): the map averaged over each cell's block, row by row. */
    private static NDArray cells(NDArray map) {
        NDList cells = new NDList();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                cells.add(map.get(new NDIndex(":, :, {}:{}, {}:{}", CELL_EDGES[r], CELL_EDGES[r + 1], CELL_EDGES[c],
                        CELL_EDGES[c + 1])).mean(new int[] {3}).mean(new int[] {2}).expandDims(1));
            }
        }
        return NDArrays.concat(cells, 1);
    }

    /** (B,C,H,W) -> (B,C): DJL's PyTorch mean reduces one axis at a time. */
    private static NDArray spatialMean(NDArray x) {
        return x.mean(new int[] {3}).mean(new int[] {2});
    }

    /** images (B,3,64,64) in [-1, 1] -> pooled features (B,64) after ReLU, for the Frechet distance. */
    public NDArray features(NDArray images) {
        return Activation.relu(features.forward(spatialMean(map(images))));
    }

    /** Features as Java arrays (B x 64). */
    public double[][] featureRows(NDArray images) {
        try (NoGrad ng = NoGrad.enter(); NDManager m = manager.newSubManager()) {
            float[] f = features(images.toDevice(m.getDevice(), false)).toFloatArray();
            int b = Math.toIntExact(images.getShape().get(0));
            double[][] out = new double[b][FEATURES];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < FEATURES; j++) {
                    out[i][j] = f[i * FEATURES + j];
                }
            }
            return out;
        }
    }

    /** What each image shows, as read. */
    public List<Reading> read(NDArray images) {
        try (NoGrad ng = NoGrad.enter(); NDManager m = manager.newSubManager()) {
            NDArray x = images.toDevice(m.getDevice(), false);
            NDArray map = map(x);
            NDList heads = split(cellHead.forward(cells(map)), CELL_HEADS, 2);
            long[][] best = new long[CELL_HEADS.length][];
            for (int k = 0; k < CELL_HEADS.length; k++) {
                best[k] = heads.get(k).argMax(2).toLongArray(); // (B*9)
            }
            long[] bg = backgroundHead.forward(Activation.relu(features.forward(spatialMean(map)))).argMax(1)
                    .toLongArray();
            int b = Math.toIntExact(x.getShape().get(0));
            List<Reading> out = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                Scenes.Drawn[] cells = new Scenes.Drawn[9];
                for (int c = 0; c < 9; c++) {
                    int at = i * 9 + c;
                    if (best[0][at] == 1) {
                        cells[c] = new Scenes.Drawn(Size.values()[(int) best[3][at]], Colour.values()[(int) best[2][at]],
                                Texture.values()[(int) best[4][at]], Shape.values()[(int) best[1][at]],
                                Position.values()[c], Rotation.values()[(int) best[5][at]], 0, 0, 0, 0);
                    }
                }
                out.add(new Reading(Background.values()[(int) bg[i]], cells));
            }
            return out;
        }
    }

    private static NDList split(NDArray logits, int[] sizes, int axis) {
        long[] cuts = new long[sizes.length - 1];
        long at = 0;
        for (int i = 0; i < cuts.length; i++) {
            at += sizes[i];
            cuts[i] = at;
        }
        return logits.split(cuts, axis);
    }

    /**
     * How much of what the caption names the reading shows: matched / named, over the objects (greedily matched to
     * the occupied cells, positioned ones to their own cell), the number of objects for a count phrase, and the
     * background. NaN for a caption that names nothing ("a shape").
     */
    public static double adherence(SceneSpec spec, Reading reading) {
        int named = 0;
        int matched = 0;
        boolean[] used = new boolean[9];
        List<ObjectSpec> free = new ArrayList<>();
        boolean count = spec.objects().size() > 1 && spec.objects().stream().allMatch(o -> o.named() == 0);
        if (count) {
            long occupied = java.util.Arrays.stream(reading.cells()).filter(java.util.Objects::nonNull).count();
            named++;
            matched += occupied == spec.objects().size() ? 1 : 0;
        } else {
            for (ObjectSpec o : spec.objects()) {
                if (o.position() == null) {
                    free.add(o);
                    continue;
                }
                int c = o.position().ordinal();
                used[c] = true;
                named += o.named();
                matched += reading.cells()[c] == null ? 0 : 1 + matches(o, reading.cells()[c]); // the position, then the rest
            }
            for (ObjectSpec o : free) {
                named += o.named();
            }
            matched += bestAssignment(free, 0, reading.cells(), used);
        }
        if (spec.background() != null) {
            named++;
            matched += spec.background() == reading.background() ? 1 : 0;
        }
        return named == 0 ? Double.NaN : matched / (double) named;
    }

    /**
     * The most named attributes the objects without a position can show, each in its own occupied cell not taken
     * (an exhaustive search: at most 3 objects over 9 cells).
     */
    private static int bestAssignment(List<ObjectSpec> objects, int from, Scenes.Drawn[] cells, boolean[] used) {
        if (from == objects.size()) {
            return 0;
        }
        int best = bestAssignment(objects, from + 1, cells, used); // this object shown nowhere
        for (int c = 0; c < 9; c++) {
            if (!used[c] && cells[c] != null) {
                used[c] = true;
                best = Math.max(best, matches(objects.get(from), cells[c]) + bestAssignment(objects, from + 1, cells, used));
                used[c] = false;
            }
        }
        return best;
    }

    /**
     * Named attributes of {@code o} (besides its position) that {@code d} has. A circle shows no rotation, so a
     * named rotation counts as met on one.
     */
    private static int matches(ObjectSpec o, Scenes.Drawn d) {
        int m = 0;
        m += o.size() != null && o.size() == d.size() ? 1 : 0;
        m += o.colour() != null && o.colour() == d.colour() ? 1 : 0;
        m += o.texture() != null && o.texture() == d.texture() ? 1 : 0;
        m += o.shape() != null && o.shape() == d.shape() ? 1 : 0;
        m += o.rotation() != null && (d.shape() == Shape.CIRCLE || o.rotation() == d.rotation()) ? 1 : 0;
        return m;
    }

    /**
     * Trains on drawn scenes over every colour-shape pair, held-out ones included ({@link Scenes#judgeSample}), with
     * pixel noise and contrast jitter (so it also reads a generator's imperfect samples); interruptible between
     * steps. Returns each step's loss.
     */
    public List<Double> train(int steps, int batch, long seed, ProgressListener listener) {
        Engines.prepareThread();
        List<Parameter> trainable = List.copyOf(parameters.all());
        trainable.forEach(p -> p.setTrainable(true));
        // 100 warm-up steps, fewer for a short run (a smoke run's whole length would be warm-up)
        OptimizerConfig opt = new OptimizerConfig(2e-3, 0.9, 0.999, 1e-4, 1e-8, 1.0, Math.min(100, steps / 10), true, 0.02);
        List<Double> losses = new ArrayList<>();
        long start = System.nanoTime();
        try (AdamW adam = new AdamW(trainable, opt, manager)) {
            for (int step = 0; step < steps; step++) {
                Interruption.check("before classifier step " + step);
                SplittableRandom rng = Noise.stream(seed, step, 0);
                List<Scenes.Sample> samples = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    samples.add(Scenes.judgeSample(rng.nextLong() & Long.MAX_VALUE, seed));
                }
                double loss;
                try (NDManager sm = manager.newSubManager()) {
                    NDArray x = org.flowlab.toy.AttributeClassifier.augment(Scenes.batch(samples, sm), rng, sm);
                    Labels labels = Labels.of(samples, sm);
                    adam.zeroGradients();
                    try (GradientCollector gc = Engines.get().newGradientCollector()) {
                        NDArray map = map(x);
                        NDList heads = split(cellHead.forward(cells(map)), CELL_HEADS, 2);
                        NDArray total = crossEntropy(heads.get(0), labels.cells[0], null);
                        for (int k = 1; k < CELL_HEADS.length; k++) {
                            total = total.add(crossEntropy(heads.get(k), labels.cells[k],
                                    k == 5 ? labels.rotationShown : labels.occupied));
                        }
                        NDArray bg = backgroundHead.forward(Activation.relu(features.forward(spatialMean(map))));
                        total = total.add(crossEntropy(bg, labels.background, null));
                        loss = total.getFloat();
                        gc.backward(total);
                    }
                    try (NoGrad ng = NoGrad.enter()) {
                        adam.step(opt.lrAt(step, steps));
                    }
                }
                losses.add(loss);
                ProgressListener.notify(listener, new Progress("scene classifier", step + 1, steps,
                        (System.nanoTime() - start) / 1e9, Map.of("loss", loss), null));
            }
        } finally {
            trainable.forEach(p -> p.setTrainable(false));
        }
        return losses;
    }

    /** Mean cross-entropy of logits (..., K) against one-hot targets (..., K), over the rows where mask is 1. */
    private static NDArray crossEntropy(NDArray logits, NDArray oneHot, NDArray mask) {
        NDArray ce = logits.logSoftmax(-1).mul(oneHot).sum(new int[] {-1}).neg();
        if (mask == null) {
            return ce.mean();
        }
        return ce.mul(mask).sum().div(mask.sum().add(1e-6f));
    }

    /**
     * One-hot targets per cell head (B,9,K), the occupancy mask (B,9), where a rotation can be seen (occupied by
     * anything but a circle) and the background (B,3).
     */
    private record Labels(NDArray[] cells, NDArray occupied, NDArray rotationShown, NDArray background) {
        static Labels of(List<Scenes.Sample> samples, NDManager m) {
            int b = samples.size();
            int[][] idx = new int[CELL_HEADS.length][b * 9];
            float[] occ = new float[b * 9];
            float[] rot = new float[b * 9];
            int[] bg = new int[b];
            for (int i = 0; i < b; i++) {
                Scenes.Scene s = samples.get(i).scene();
                bg[i] = s.background().ordinal();
                for (Scenes.Drawn d : s.objects()) {
                    int at = i * 9 + d.position().ordinal();
                    occ[at] = 1;
                    rot[at] = d.shape() == Shape.CIRCLE ? 0 : 1;
                    idx[0][at] = 1;
                    idx[1][at] = d.shape().ordinal();
                    idx[2][at] = d.colour().ordinal();
                    idx[3][at] = d.size().ordinal();
                    idx[4][at] = d.texture().ordinal();
                    idx[5][at] = d.rotation().ordinal();
                }
            }
            NDArray[] cells = new NDArray[CELL_HEADS.length];
            for (int k = 0; k < cells.length; k++) {
                cells[k] = OwnedArrays.create(m, idx[k], new ai.djl.ndarray.types.Shape(b, 9)).oneHot(CELL_HEADS[k]);
            }
            return new Labels(cells, OwnedArrays.create(m, occ, new ai.djl.ndarray.types.Shape(b, 9)),
                    OwnedArrays.create(m, rot, new ai.djl.ndarray.types.Shape(b, 9)), OwnedArrays.create(m, bg, new ai.djl.ndarray.types.Shape(b)).oneHot(Background.values().length));
        }
    }

    /**
     * How well it reads real scenes: per head (occupied over every cell; shape, colour, size and texture over the
     * occupied cells, rotation over those not holding a circle; background per scene), in {@link #ACCURACY_NAMES} order, and the adherence of each
     * scene to its own caption (1 for a perfect reader).
     */
    public double[] accuracy(List<Scenes.Sample> samples) {
        double[] right = new double[ACCURACY_NAMES.size()];
        double[] seen = new double[ACCURACY_NAMES.size()];
        try (NDManager m = manager.newSubManager()) {
            for (int from = 0; from < samples.size(); from += 128) {
                List<Scenes.Sample> chunk = samples.subList(from, Math.min(samples.size(), from + 128));
                List<Reading> read = read(Scenes.batch(chunk, m));
                for (int i = 0; i < chunk.size(); i++) {
                    Reading truth = Reading.of(chunk.get(i).scene());
                    Reading got = read.get(i);
                    for (int c = 0; c < 9; c++) {
                        Scenes.Drawn t = truth.cells()[c];
                        Scenes.Drawn g = got.cells()[c];
                        right[0] += (t == null) == (g == null) ? 1 : 0;
                        seen[0]++;
                        if (t != null) {
                            Object[][] pairs = {{t.shape(), g == null ? null : g.shape()},
                                {t.colour(), g == null ? null : g.colour()}, {t.size(), g == null ? null : g.size()},
                                {t.texture(), g == null ? null : g.texture()},
                                {t.rotation(), g == null ? null : g.rotation()}};
                            for (int k = 0; k < pairs.length; k++) {
                                if (k == 4 && t.shape() == Shape.CIRCLE) {
                                    continue; // a circle's rotation cannot be seen
                                }
                                right[1 + k] += pairs[k][0] == pairs[k][1] ? 1 : 0;
                                seen[1 + k]++;
                            }
                        }
                    }
                    right[6] += truth.background() == got.background() ? 1 : 0;
                    seen[6]++;
                    double a = adherence(chunk.get(i).spec(), got);
                    if (!Double.isNaN(a)) {
                        right[7] += a;
                        seen[7]++;
                    }
                }
            }
        }
        for (int k = 0; k < right.length; k++) {
            right[k] /= Math.max(1, seen[k]);
        }
        return right;
    }

    /** The columns of {@link #accuracy}. */
    public static final List<String> ACCURACY_NAMES = List.of("occupied", "shape", "colour", "size", "texture",
            "rotation", "background", "adherence");

    public void save(java.nio.file.Path file, Map<String, String> provenance) throws java.io.IOException {
        Map<String, org.flowlab.io.Tensor> tensors = new java.util.LinkedHashMap<>();
        parameters.all().forEach(p -> tensors.put(p.name(), org.flowlab.io.Tensor.of(p.array())));
        Map<String, String> meta = new java.util.LinkedHashMap<>(provenance);
        meta.put("flowlab.model", "SceneClassifier");
        org.flowlab.io.SafeTensors.write(file, tensors, meta, org.flowlab.io.DType.F16);
    }

    /** The shipped judge, {@code models/scene-classifier.safetensors}. */
    public static SceneClassifier loadShipped(Device device) throws java.io.IOException {
        return load(org.flowlab.toy.ToyModelFiles.shipped(SHIPPED_FILE), device);
    }

    public static SceneClassifier load(java.nio.file.Path file, Device device) throws java.io.IOException {
        var c = org.flowlab.io.SafeTensors.read(file);
        if (!"SceneClassifier".equals(c.metadata().get("flowlab.model"))) {
            throw new IllegalArgumentException(file + " is not a scene classifier (flowlab.model is "
                    + c.metadata().get("flowlab.model") + ")");
        }
        SceneClassifier model = new SceneClassifier(device, 0);
        try (NoGrad ng = NoGrad.enter(); NDManager tmp = model.manager.newSubManager()) {
            for (Parameter p : model.parameters.all()) {
                var t = c.tensor(p.name());
                if (!java.util.Arrays.equals(t.shape(), p.shape().getShape())) {
                    throw new IllegalArgumentException(file + ": '" + p.name() + "' is " + java.util.Arrays.toString(
                            t.shape()) + ", this classifier's is " + p.shape());
                }
                p.copyFrom(t.toNDArray(tmp));
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    public NamedParameters parameters() {
        return parameters;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
