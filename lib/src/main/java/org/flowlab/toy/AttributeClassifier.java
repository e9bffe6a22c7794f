package org.flowlab.toy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flowlab.flow.Noise;
import org.flowlab.io.Checkpoint;
import org.flowlab.io.DType;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.model.Engines;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Parameter;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.train.AdamW;
import org.flowlab.train.OptimizerConfig;

/**
 * A small CNN that reads the five attributes of a toy image (size, shape, colour, position, background). Trained on
 * rendered ground truth of all 972 combinations (it is the judge, so it sees held-out pairs too), with noise and
 * contrast jitter so it also reads a generator's imperfect samples. Its 64-d penultimate features feed the Frechet
 * distance.
 *
 * <pre>
 * (B,3,32,32) -> conv 3x3 32 -> conv 3x3/2 64 (16x16) -> conv 3x3/2 64 (8x8) -> conv 3x3/2 64 (4x4)
 *             -> flatten 1024 -> features 64 -> logits 2+3+6+9+3
 * </pre>
 */
public final class AttributeClassifier implements AutoCloseable {
    public static final String RESOURCE = "/models/attribute-classifier.safetensors";
    public static final int FEATURES = 64;
    private static final int[] CARDINALITIES = ShapeAttributes.attributeCardinalities();

    private final NDManager manager;
    private final NamedParameters parameters;
    private final Parameter[] convWeights = new Parameter[4];
    private final Parameter[] convBiases = new Parameter[4];
    private final LinearLayer features;
    private final LinearLayer heads;

    public AttributeClassifier(Device device, long seed) {
        Engines.get();
        manager = Engines.get().newBaseManager(device);
        ModuleBuilder mb = new ModuleBuilder(manager, seed);
        int[] channels = {3, 32, 64, 64, 64};
        for (int i = 0; i < 4; i++) {
            convWeights[i] = mb.tensor("conv" + i + ".weight", new Shape(channels[i + 1], channels[i], 3, 3), Init.XAVIER);
            convBiases[i] = mb.tensor("conv" + i + ".bias", new Shape(channels[i + 1]), Init.ZERO);
        }
        features = mb.linear("features", 64L * 4 * 4, FEATURES, true, Init.XAVIER);
        int total = 0;
        for (int c : CARDINALITIES) {
            total += c;
        }
        heads = mb.linear("heads", FEATURES, total, true, Init.XAVIER);
        parameters = mb.parameters();
    }

    /** images (B,3,32,32) in [-1, 1] -> features (B,64) after ReLU. */
    public NDArray features(NDArray images) {
        NDArray h = images;
        for (int i = 0; i < 4; i++) {
            Shape stride = i == 0 ? new Shape(1, 1) : new Shape(2, 2);
            h = Activation.relu(Conv2d.conv2d(h, convWeights[i].array(), convBiases[i].array(), stride, new Shape(1, 1))
                    .singletonOrThrow());
        }
        return Activation.relu(features.forward(h.reshape(h.getShape().get(0), -1)));
    }

    /** features -> one (B, K) logit block per attribute. */
    private NDList logits(NDArray feats) {
        NDArray all = heads.forward(feats);
        long[] cuts = new long[CARDINALITIES.length - 1];
        long at = 0;
        for (int i = 0; i < cuts.length; i++) {
            at += CARDINALITIES[i];
            cuts[i] = at;
        }
        return all.split(cuts, 1);
    }

    /** The attribute values read off each image: (B) rows of 5 label indices. */
    public int[][] predict(NDArray images) {
        try (NoGrad ng = NoGrad.enter(); NDScope scope = new NDScope()) {
            NDList l = logits(features(images));
            int b = Math.toIntExact(images.getShape().get(0));
            int[][] out = new int[b][CARDINALITIES.length];
            for (int a = 0; a < CARDINALITIES.length; a++) {
                long[] best = l.get(a).argMax(1).toLongArray();
                for (int i = 0; i < b; i++) {
                    out[i][a] = (int) best[i];
                }
            }
            scope.suppressNotUsedWarning();
            return out;
        }
    }

    /** Features as Java arrays (B x 64), for the Frechet distance. */
    public double[][] featureRows(NDArray images) {
        try (NoGrad ng = NoGrad.enter(); NDScope scope = new NDScope()) {
            float[] f = features(images).toFloatArray();
            int b = Math.toIntExact(images.getShape().get(0));
            double[][] out = new double[b][FEATURES];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < FEATURES; j++) {
                    out[i][j] = f[i * FEATURES + j];
                }
            }
            scope.suppressNotUsedWarning();
            return out;
        }
    }

    /**
     * Trains on rendered images of every combination with noise and contrast jitter; interruptible between steps.
     *
     * @return the loss of each step
     */
    public List<Double> train(int steps, int batch, long seed, ProgressListener listener) {
        Engines.prepareThread();
        List<ShapeAttributes> all = ShapeAttributes.all();
        List<Parameter> trainable = List.copyOf(parameters.all());
        trainable.forEach(p -> p.setTrainable(true));
        OptimizerConfig opt = new OptimizerConfig(2e-3, 0.9, 0.999, 1e-4, 1e-8, 1.0, 100, true, 0.02);
        List<Double> losses = new ArrayList<>();
        long start = System.nanoTime();
        try (AdamW adam = new AdamW(trainable, opt, manager)) {
            for (int step = 0; step < steps; step++) {
                Interruption.check("before classifier step " + step);
                SplittableRandom rng = Noise.stream(seed, step, 0);
                List<ToyShapes.Sample> samples = new ArrayList<>();
                int[][] labels = new int[CARDINALITIES.length][batch];
                for (int i = 0; i < batch; i++) {
                    ShapeAttributes a = all.get(rng.nextInt(all.size()));
                    samples.add(ToyShapes.render(a, rng.nextLong()));
                    int[] l = a.labels();
                    for (int k = 0; k < l.length; k++) {
                        labels[k][i] = l[k];
                    }
                }
                double loss;
                try (NDManager sm = manager.newSubManager()) {
                    NDArray x = augment(ToyShapes.batch(samples, sm), rng, sm);
                    adam.zeroGradients();
                    try (GradientCollector gc = Engines.get().newGradientCollector()) {
                        NDList l = logits(features(x));
                        NDArray total = null;
                        for (int k = 0; k < CARDINALITIES.length; k++) {
                            NDArray target = org.flowlab.model.OwnedArrays.create(sm, labels[k], new Shape(batch))
                                    .oneHot(CARDINALITIES[k]);
                            NDArray ce = l.get(k).logSoftmax(1).mul(target).sum(new int[] {1}).neg().mean();
                            total = total == null ? ce : total.add(ce);
                        }
                        loss = total.getFloat();
                        gc.backward(total);
                    }
                    try (NoGrad ng = NoGrad.enter()) {
                        adam.step(opt.lrAt(step, steps));
                    }
                }
                losses.add(loss);
                ProgressListener.notify(listener, new Progress("classifier", step + 1, steps,
                        (System.nanoTime() - start) / 1e9, Map.of("loss", loss), null));
            }
        } finally {
            trainable.forEach(p -> p.setTrainable(false));
        }
        return losses;
    }

    /** Pixel noise of a random strength and a contrast/brightness jitter, per image (both worlds' judges). */
    public static NDArray augment(NDArray x, SplittableRandom rng, NDManager m) {
        int b = Math.toIntExact(x.getShape().get(0));
        float[] noiseScale = new float[b];
        float[] gain = new float[b];
        float[] offset = new float[b];
        for (int i = 0; i < b; i++) {
            noiseScale[i] = (float) (0.2 * rng.nextDouble());
            gain[i] = (float) (0.85 + 0.3 * rng.nextDouble());
            offset[i] = (float) (0.2 * rng.nextDouble() - 0.1);
        }
        Shape per = new Shape(b, 1, 1, 1);
        NDArray noise = Noise.gaussian(m, rng, x.getShape());
        return x.mul(org.flowlab.model.OwnedArrays.create(m, gain, per))
                .add(org.flowlab.model.OwnedArrays.create(m, offset, per))
                .add(noise.mul(org.flowlab.model.OwnedArrays.create(m, noiseScale, per)));
    }

    /** Per-attribute accuracy on these samples. */
    public double[] accuracy(List<ToyShapes.Sample> samples) {
        double[] correct = new double[CARDINALITIES.length];
        try (NDManager sm = manager.newSubManager()) {
            for (int from = 0; from < samples.size(); from += 256) {
                List<ToyShapes.Sample> chunk = samples.subList(from, Math.min(samples.size(), from + 256));
                int[][] pred = predict(ToyShapes.batch(chunk, sm));
                for (int i = 0; i < chunk.size(); i++) {
                    int[] truth = chunk.get(i).attributes().labels();
                    for (int k = 0; k < truth.length; k++) {
                        correct[k] += pred[i][k] == truth[k] ? 1 : 0;
                    }
                }
            }
        }
        for (int k = 0; k < correct.length; k++) {
            correct[k] /= samples.size();
        }
        return correct;
    }

    public NamedParameters parameters() {
        return parameters;
    }

    public NDManager manager() {
        return manager;
    }

    public void save(Path file, Map<String, String> provenance) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        parameters.all().forEach(p -> tensors.put(p.name(), Tensor.of(p.array())));
        Map<String, String> meta = new LinkedHashMap<>(provenance);
        meta.put("flowlab.model", "AttributeClassifier");
        SafeTensors.write(file, tensors, meta, DType.F16);
    }

    public static AttributeClassifier load(Path file, Device device) throws IOException {
        return fromContents(SafeTensors.read(file), file, device);
    }

    /** The shipped classifier, from the classpath. */
    public static AttributeClassifier load(Device device) throws IOException {
        try (InputStream in = AttributeClassifier.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the attribute classifier " + RESOURCE + " is not on the classpath; build with the"
                        + " repository's models/ folder, or train one: ./flowlab classifier train");
            }
            return fromContents(SafeTensors.decode(in.readAllBytes(), Path.of(RESOURCE)), Path.of(RESOURCE), device);
        }
    }

    private static AttributeClassifier fromContents(SafeTensors.Contents c, Path file, Device device) {
        AttributeClassifier model = new AttributeClassifier(device, 0);
        Map<String, long[]> expected = new LinkedHashMap<>();
        model.parameters.all().forEach(p -> expected.put(p.name(), p.shape().getShape()));
        try {
            Checkpoint.requireShapes(file, c, expected);
            try (NoGrad ng = NoGrad.enter(); NDManager tmp = model.manager.newSubManager()) {
                for (Parameter p : model.parameters.all()) {
                    p.copyFrom(c.tensor(p.name()).toNDArray(tmp));
                }
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    @Override
    public void close() {
        manager.close();
    }
}
