package org.flowlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.flowlab.flow.Flow;
import org.flowlab.flow.Noise;
import org.flowlab.io.Checkpoint;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Parameter;
import org.flowlab.model.PromptEncoder;
import org.flowlab.progress.ProgressListener;
import org.flowlab.schedule.CustomTimesteps;
import org.flowlab.schedule.LossWeighting;
import org.flowlab.schedule.TimestepSampler;

/**
 * Plain flow matching (minRF's loss): draw sigma, noise the clean latents, predict {@code v}, regress onto
 * {@code noise - x0}. Teacher pre-training trains every parameter (text encoder included); Glance trains one LoRA
 * adapter's. The text encoder runs once per step, inside the gradient only when some of its parameters train.
 *
 * <p>All randomness of step {@code k} comes from {@code (seed, k)}, so a run resumed from a checkpoint continues
 * bit-identically on the same machine.
 */
public final class FlowMatchingTrainer implements TrainingLoop.Trainer, AutoCloseable {

    /**
     * @param batchSize images per step
     * @param seed fixes every draw (data, sigma, noise, caption dropout)
     * @param sampler how sigma is drawn
     * @param weighting per-sample loss weight as a function of sigma
     * @param captionDropout probability of training a sample on the empty prompt (for CFG)
     * @param optimizer AdamW and its LR schedule
     * @param guidance the guidance-embedding value for models that take one (Glance-Flux: 1); NaN: the model's default
     */
    public record Config(int batchSize, long seed, TimestepSampler sampler, LossWeighting weighting,
                         double captionDropout, OptimizerConfig optimizer, double guidance) {
        public Config {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size " + batchSize + " is not allowed; use 1 or more");
            }
            if (!(captionDropout >= 0 && captionDropout <= 1)) {
                throw new IllegalArgumentException("caption dropout " + captionDropout + " must lie in [0, 1]");
            }
            if (sampler == null || weighting == null || optimizer == null) {
                throw new IllegalArgumentException("a flow-matching config needs a timestep sampler, a loss weighting"
                        + " and an optimizer");
            }
        }

        public static Builder builder() {
            return new Builder();
        }

        public Builder toBuilder() {
            return new Builder().batchSize(batchSize).seed(seed).sampler(sampler).weighting(weighting)
                    .captionDropout(captionDropout).optimizer(optimizer).guidance(guidance);
        }

        /** Defaults: batch 1, seed 0, uniform sigma, no weighting, no caption dropout, the Glance optimizer. */
        public static final class Builder {
            private int batchSize = 1;
            private long seed;
            private TimestepSampler sampler = new TimestepSampler.Uniform();
            private LossWeighting weighting = LossWeighting.NONE;
            private double captionDropout;
            private OptimizerConfig optimizer = OptimizerConfig.glance();
            private double guidance = Double.NaN;

            public Builder batchSize(int v) {
                batchSize = v;
                return this;
            }

            public Builder seed(long v) {
                seed = v;
                return this;
            }

            public Builder sampler(TimestepSampler v) {
                sampler = v;
                return this;
            }

            public Builder weighting(LossWeighting v) {
                weighting = v;
                return this;
            }

            public Builder captionDropout(double v) {
                captionDropout = v;
                return this;
            }

            public Builder optimizer(OptimizerConfig v) {
                optimizer = v;
                return this;
            }

            public Builder guidance(double v) {
                guidance = v;
                return this;
            }

            public Config build() {
                return new Config(batchSize, seed, sampler, weighting, captionDropout, optimizer, guidance);
            }
        }
    }

    /** What one step did: its loss, and per sample the sigma drawn and that sample's loss (for plots). */
    public record StepResult(long step, double loss, double[] sigmas, double[] sampleLosses, double gradNorm, double lr,
                             double seconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "step %d loss %.5f |g| %.3g lr %.3g (%.0f ms)", step, loss, gradNorm, lr,
                    seconds * 1000);
        }
    }

    private static final int DATA = 0;
    private static final int SIGMA = 1;
    private static final int NOISE = 2;
    private static final int DROPOUT = 3;

    private final DiffusionModel model;
    private final TrainingBatch.Source data;
    private final Config config;
    private final AdamW optimizer;
    private final boolean textEncoderTrains;
    private final PromptEncoder prompts;
    private final List<StepResult> results = new ArrayList<>();
    private long step;
    private long plannedSteps;

    public FlowMatchingTrainer(DiffusionModel model, List<Parameter> trainable, TrainingBatch.Source data, Config config) {
        this(model, trainable, data, config, model.textEncoder());
    }

    /**
     * A trainer whose captions' conditioning comes from {@code prompts}, a cache of the text encoder's outputs for
     * example: then the text encoder stays frozen (none of its parameters may be in {@code trainable}) and need
     * not even be loaded.
     */
    public FlowMatchingTrainer(DiffusionModel model, List<Parameter> trainable, TrainingBatch.Source data, Config config,
                               PromptEncoder prompts) {
        Engines.prepareThread();
        if (!model.transformer().takesGuidance() && !Double.isNaN(config.guidance())) {
            throw new IllegalArgumentException("guidance " + config.guidance() + " was given, but this model has no"
                    + " guidance input");
        }
        for (Parameter p : trainable) {
            p.setTrainable(true);
        }
        this.model = model;
        this.data = data;
        this.config = config;
        this.optimizer = new AdamW(trainable, config.optimizer(), model.transformer().manager());
        this.prompts = prompts;
        this.textEncoderTrains = prompts == model.textEncoder()
                && model.textEncoder().parameters().all().stream().anyMatch(trainable::contains);
    }

    public long step() {
        return step;
    }

    @Override
    public long stepsDone() {
        return step;
    }

    public Config config() {
        return config;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** The loss of one step: mean over the batch of weight(sigma) * mean((v - (noise - x0))^2). */
    public StepResult trainStep() {
        Engines.prepareThread();
        long start = System.nanoTime();
        int b = config.batchSize();
        long total = plannedSteps > step ? plannedSteps : Long.MAX_VALUE; // unknown length: no cosine tail yet
        double lr = optimizer.config().lrAt(step, total); // optimizer.setConfig() edits take effect here
        try (NDManager sm = model.transformer().manager().newSubManager()) {
            TrainingBatch batch = data.batch(step, b, Noise.stream(config.seed(), step, DATA), sm);
            List<String> prompts = dropCaptions(batch.prompts(), Noise.stream(config.seed(), step, DROPOUT));
            double[] sigmas = config.sampler().sample(b, Noise.stream(config.seed(), step, SIGMA));
            float[] sig = new float[b];
            float[] weights = new float[b];
            for (int i = 0; i < b; i++) {
                sig[i] = (float) sigmas[i];
                weights[i] = (float) config.weighting().weight(sigmas[i]);
            }
            NDArray sigma = OwnedArrays.create(sm, sig);
            NDArray noise = Noise.gaussian(sm, Noise.stream(config.seed(), step, NOISE), batch.x0().getShape());
            NDArray xt = Flow.noised(batch.x0(), noise, sigma);                  // (B,C,H,W)
            NDArray target = Flow.velocityTarget(batch.x0(), noise);
            optimizer.zeroGradients();
            NDArray[] perSample = new NDArray[1];
            NDArray weight = OwnedArrays.create(sm, weights);
            java.util.function.UnaryOperator<NDArray> lossOf = v -> {
                perSample[0] = Flow.perSampleMean(v.sub(target).square());                        // (B)
                return perSample[0].mul(weight).mean();
            };
            double loss;
            if (textEncoderTrains) {
                // the text encoder is part of the graph: one plain backward pass through both components
                try (GradientCollector gc = Engines.get().newGradientCollector()) {
                    NDArray l = lossOf.apply(model.transformer().velocity(xt, sigma, encode(prompts, sm)));
                    loss = l.getFloat();
                    if (Double.isFinite(loss)) {
                        gc.backward(l);
                    }
                }
            } else {
                loss = Backprop.lossAndGradients(model.transformer(), xt, sigma, encode(prompts, sm), lossOf);
            }
            if (!Double.isFinite(loss)) {
                throw new AdamW.NonFiniteException("loss is " + loss + " at step " + step + "; nothing was applied");
            }
            double norm;
            try (NoGrad ng = NoGrad.enter()) {
                norm = optimizer.step(lr);
            }
            double[] sampleLosses = new double[b];
            float[] ps = perSample[0].toFloatArray();
            for (int i = 0; i < b; i++) {
                sampleLosses[i] = ps[i];
            }
            StepResult r = new StepResult(step, loss, sigmas, sampleLosses, norm, lr, (System.nanoTime() - start) / 1e9);
            step++;
            return r;
        }
    }

    private Conditioning encode(List<String> prompts, NDManager m) {
        if (textEncoderTrains) {
            return withGuidance(model.textEncoder().encode(prompts, m), m);
        }
        try (NoGrad ng = NoGrad.enter()) {
            return withGuidance(this.prompts.encode(prompts, m), m);
        }
    }

    private Conditioning withGuidance(Conditioning c, NDManager m) {
        if (!model.transformer().takesGuidance()) {
            return c;
        }
        return c.withGuidance(Double.isNaN(config.guidance()) ? model.defaults().guidance() : config.guidance(), m);
    }

    private List<String> dropCaptions(List<String> prompts, SplittableRandom rng) {
        if (config.captionDropout() <= 0) {
            return prompts;
        }
        List<String> out = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            out.add(rng.nextDouble() < config.captionDropout() ? "" : p);
        }
        return out;
    }

    /** The loop's step: one {@link #trainStep()}, reported as loss, LR and gradient norm. */
    @Override
    public TrainingLoop.Report advance() {
        StepResult r = trainStep();
        results.add(r);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", r.loss());
        metrics.put("lr", r.lr());
        metrics.put("grad_norm", r.gradNorm());
        return new TrainingLoop.Report(metrics, null);
    }

    /**
     * Runs until {@code totalSteps} steps are done (counting steps already taken), reporting each step; stops at a
     * step boundary when the thread is interrupted. Returns the steps this call took.
     */
    public List<StepResult> train(long totalSteps, ProgressListener listener) {
        try {
            return train(totalSteps, listener, TrainingLoop.Checkpoints.NONE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // unreachable: no checkpoint is written
        }
    }

    /** As {@link #train(long, ProgressListener)}, with checkpoints (an interrupted run keeps its last one). */
    public List<StepResult> train(long totalSteps, ProgressListener listener, TrainingLoop.Checkpoints checkpoints)
            throws IOException {
        plannedSteps = totalSteps;
        int from = results.size();
        TrainingLoop.run("train", this, totalSteps, listener, checkpoints);
        return List.copyOf(results.subList(from, results.size()));
    }

    /** Trainable values, optimizer moments, step, seed and sampler cursor, in one atomic file. */
    @Override
    public void save(Path file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : optimizer.parameters()) {
            tensors.put("param." + p.name(), Tensor.of(p.array()));
        }
        tensors.putAll(optimizer.state());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("flowlab.trainer", "flow-matching");
        meta.put("step", Long.toString(step));
        meta.put("seed", Long.toString(config.seed()));
        meta.put("adam_steps", Long.toString(optimizer.steps()));
        if (config.sampler() instanceof CustomTimesteps c) {
            meta.put("sampler_cursor", Long.toString(c.cursor()));
        }
        Checkpoint.save(file, tensors, meta);
    }

    /** Continues from a checkpoint written by {@link #save} for the same parameters (names and shapes checked). */
    public void resume(Path file) throws IOException {
        SafeTensors.Contents c = Checkpoint.load(file);
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (Parameter p : optimizer.parameters()) {
            expected.put("param." + p.name(), p.shape().getShape());
        }
        expected.putAll(optimizer.stateShapes());
        Checkpoint.requireShapes(file, c, expected);
        String seed = c.metadata().get("seed");
        if (seed != null && Long.parseLong(seed) != config.seed()) {
            throw new IllegalArgumentException(file + " was written by a run with seed " + seed + ", this run has seed "
                    + config.seed());
        }
        try (NoGrad ng = NoGrad.enter(); NDManager tmp = model.transformer().manager().newSubManager()) {
            for (Parameter p : optimizer.parameters()) {
                p.copyFrom(c.tensor("param." + p.name()).toNDArray(tmp));
            }
        }
        optimizer.restore(c.tensors(), Long.parseLong(c.metadata().get("adam_steps")));
        step = Long.parseLong(c.metadata().get("step"));
        if (config.sampler() instanceof CustomTimesteps ct && c.metadata().containsKey("sampler_cursor")) {
            ct.restoreCursor(Long.parseLong(c.metadata().get("sampler_cursor")));
        }
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
