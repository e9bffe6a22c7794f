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
import org.flowlab.nn.OwnedArrays;
import org.flowlab.nn.Engines;
import org.flowlab.nn.NoGrad;
import org.flowlab.nn.Parameter;
import org.flowlab.nn.VelocityModel;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.schedule.CustomTimesteps;
import org.flowlab.schedule.LossWeighting;
import org.flowlab.schedule.TimestepSampler;

/**
 * Plain flow matching (minRF's loss): draw sigma, noise the clean batch, predict {@code v}, regress onto
 * {@code noise - x0}. Teacher pre-training trains every parameter; Glance trains one LoRA adapter's.
 *
 * <p>All randomness of step {@code k} comes from {@code (seed, k)}, so a run resumed from a checkpoint continues
 * bit-identically on the same machine.
 */
public final class FlowMatchingTrainer implements AutoCloseable {

    /**
     * @param batchSize images per step
     * @param seed fixes every draw (data, sigma, noise, caption dropout)
     * @param sampler how sigma is drawn
     * @param weighting per-sample loss weight as a function of sigma
     * @param captionDropout probability of training a sample on the empty prompt (for CFG)
     * @param optimizer AdamW and its LR schedule
     */
    public record Config(int batchSize, long seed, TimestepSampler sampler, LossWeighting weighting,
                         double captionDropout, OptimizerConfig optimizer) {
        public Config {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size " + batchSize + " is not allowed; use 1 or more");
            }
            if (!(captionDropout >= 0 && captionDropout <= 1)) {
                throw new IllegalArgumentException("caption dropout " + captionDropout + " must lie in [0, 1]");
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

    private final VelocityModel model;
    private final TrainingBatch.Source data;
    private final Config config;
    private final AdamW optimizer;
    private long step;
    private long plannedSteps;

    public FlowMatchingTrainer(VelocityModel model, List<Parameter> trainable, TrainingBatch.Source data, Config config) {
        Engines.prepareThread();
        for (Parameter p : trainable) {
            p.setTrainable(true);
        }
        this.model = model;
        this.data = data;
        this.config = config;
        this.optimizer = new AdamW(trainable, config.optimizer(), model.manager());
    }

    public long step() {
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
        try (NDManager sm = model.manager().newSubManager()) {
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
            var cond = model.condition(prompts, sm);

            optimizer.zeroGradients();
            NDArray perSample;
            double loss;
            try (GradientCollector gc = Engines.get().newGradientCollector()) {
                NDArray v = model.velocity(xt, sigma, cond);
                perSample = Flow.perSampleMean(v.sub(target).square());             // (B)
                NDArray weighted = perSample.mul(OwnedArrays.create(sm, weights)).mean();
                loss = weighted.getFloat();
                if (!Double.isFinite(loss)) {
                    throw new AdamW.NonFiniteException("loss is " + loss + " at step " + step + "; nothing was applied");
                }
                gc.backward(weighted);
            }
            double norm;
            try (NoGrad ng = NoGrad.enter()) {
                norm = optimizer.step(lr);
            }
            double[] sampleLosses = new double[b];
            float[] ps = perSample.toFloatArray();
            for (int i = 0; i < b; i++) {
                sampleLosses[i] = ps[i];
            }
            StepResult r = new StepResult(step, loss, sigmas, sampleLosses, norm, lr, (System.nanoTime() - start) / 1e9);
            step++;
            return r;
        }
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

    /**
     * Runs until {@code totalSteps} steps are done (counting steps already taken), reporting each step; stops at a
     * step boundary when the thread is interrupted.
     */
    public List<StepResult> train(long totalSteps, ProgressListener listener) {
        try {
            return train(totalSteps, listener, null, 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // unreachable: no checkpoint is written
        }
    }

    /**
     * As {@link #train(long, ProgressListener)}, saving a checkpoint to {@code checkpoint} every {@code every} steps
     * and at the end (an interrupted run keeps its last checkpoint).
     */
    public List<StepResult> train(long totalSteps, ProgressListener listener, Path checkpoint, int every)
            throws IOException {
        plannedSteps = totalSteps;
        List<StepResult> results = new ArrayList<>();
        long start = System.nanoTime();
        long first = step;
        Progress last = Progress.of("train", step, totalSteps, 0);
        Throwable error = null;
        try {
            while (step < totalSteps) {
                Interruption.check("before training step " + step);
                StepResult r = trainStep();
                results.add(r);
                Map<String, Double> metrics = new LinkedHashMap<>();
                metrics.put("loss", r.loss());
                metrics.put("lr", r.lr());
                metrics.put("grad_norm", r.gradNorm());
                last = new Progress("train", step, totalSteps, (System.nanoTime() - start) / 1e9, metrics, null, first);
                ProgressListener.notify(listener, last);
                if (checkpoint != null && every > 0 && step % every == 0) {
                    save(checkpoint);
                }
            }
            if (checkpoint != null && (every <= 0 || step % every != 0)) {
                save(checkpoint);
            }
        } catch (RuntimeException | IOException e) {
            error = e;
            throw e;
        } finally {
            listener.onFinished(last, error);
        }
        return results;
    }

    /** Trainable values, optimizer moments, step, seed and sampler cursor, in one atomic file. */
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
        try (NoGrad ng = NoGrad.enter(); NDManager tmp = model.manager().newSubManager()) {
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
