package org.flowlab.glance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.flowlab.flow.EulerStep;
import org.flowlab.flow.Flow;
import org.flowlab.flow.Noise;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.PromptEncoder;
import org.flowlab.model.Shapes;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.schedule.CustomTimesteps;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.LossWeighting;
import org.flowlab.schedule.Schedule;
import org.flowlab.train.FlowMatchingTrainer;
import org.flowlab.train.OptimizerConfig;
import org.flowlab.train.TrainingBatch;

/**
 * Glance, as its official code runs it:
 * <ol>
 *   <li>Lists: slow = early timesteps (positions 0,2,4,6,8 of a 50-step schedule), fast = late ones
 *       (10,20,30,40,49), {@code sigma = t / 1000}, no shift on top ({@link GlanceLists}).</li>
 *   <li>Per LoRA: 60 steps of plain flow matching on ONE image: draw an entry of its list, fresh noise,
 *       {@code x = (1-sigma) x0 + sigma noise}, target {@code noise - x0} (the image's own velocity, not a base-model
 *       prediction), MSE; AdamW 0.9/0.999, wd 0.01, LR 5e-4 constant after 10 warm-up steps, clip 1, rank 16,
 *       alpha 4r.</li>
 *   <li>Inference: {@code [slow/1000..., fast/1000..., 0]}, slow adapter for the first phase, fast for the second,
 *       Euler throughout, the latent handed on unchanged ({@link #plan}).</li>
 * </ol>
 * It works on any {@link DiffusionModel}: the image goes through the model's codec once, the caption through its
 * text encoder; both LoRAs sit on the transformer.
 */
public final class Glance {
    public static final String SLOW = "slow";
    public static final String FAST = "fast";

    /** The two ways to integrate the ten steps. */
    public enum Variant {
        /** The schedule training implies: {@code [slow..., fast..., 0]}, Euler with its own differences. */
        CONSISTENT,
        /**
         * The official Qwen pipeline: phase-1 step sizes from the 50-step base schedule, phase-2 step sizes from a
         * fresh 5-step schedule (the total delta-sigma is about -1.054, not -1).
         */
        OFFICIAL_QWEN;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Variant fromId(String id) {
            for (Variant v : values()) {
                if (v.id().equalsIgnoreCase(id) || v.name().equalsIgnoreCase(id)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("unknown Glance variant '" + id + "'; use consistent or official-qwen");
        }
    }

    /**
     * The recipe of one phase LoRA (defaults: the official Flux config, on every Linear of the transformer blocks).
     *
     * @param steps optimizer steps per LoRA
     * @param rank LoRA rank
     * @param alphaFactor alpha = alphaFactor * rank (official: 4; SimpleTuner's alpha = rank trains nothing in 60 steps)
     * @param optimizer AdamW and warm-up
     * @param draw how list entries are drawn
     * @param captionDropout probability of the empty prompt (official: 0 for Flux, 0.1 for Qwen)
     * @param batchSize images per step (one image, repeated)
     * @param targets which Linears of the transformer get the LoRA
     * @param guidance the guidance-embedding value for models that take one (official Flux: 1); NaN: the model's
     * @param seed LoRA init, noise and draws
     */
    public record Config(int steps, int rank, double alphaFactor, OptimizerConfig optimizer,
                         CustomTimesteps.DrawMode draw, double captionDropout, int batchSize, TargetSelector targets,
                         double guidance, long seed) {
        public Config {
            if (steps < 1 || rank < 1 || batchSize < 1) {
                throw new IllegalArgumentException("steps " + steps + ", rank " + rank + ", batch " + batchSize
                        + " must all be 1 or more");
            }
            if (!(alphaFactor > 0) || optimizer == null || draw == null || targets == null) {
                throw new IllegalArgumentException("alpha factor " + alphaFactor + " must be > 0, and optimizer, draw"
                        + " and targets must be set");
            }
        }

        public static Config official() {
            return builder().build();
        }

        /**
         * The official recipe for this model's family (SPEC-glance.md): on a Flux or SD3 checkpoint, LoRA on the
         * attention projections {@code attn.to_q/to_k/to_v/to_out.0} only, rank 16, alpha 64, LR 5e-4, and for Flux
         * the guidance-embedding value 1; on other models (the toy) every Linear of the transformer blocks.
         */
        public static Builder forModel(DiffusionModel model) {
            Builder b = builder();
            if (model.isPipeline(DiffusionModel.FLUX_PIPELINE) || model.isPipeline(DiffusionModel.SD3_PIPELINE)) {
                b.targets(TargetSelector.named("glance-flux"));
            }
            if (model.isPipeline(DiffusionModel.FLUX_PIPELINE) && model.transformer().takesGuidance()) {
                b.guidance(1.0);
            }
            return b;
        }

        public static Builder builder() {
            return new Builder();
        }

        public Builder toBuilder() {
            return new Builder().steps(steps).rank(rank).alphaFactor(alphaFactor).optimizer(optimizer).draw(draw)
                    .captionDropout(captionDropout).batchSize(batchSize).targets(targets).guidance(guidance).seed(seed);
        }

        /** Builds a {@link Config}; every field starts at the official Flux recipe. */
        public static final class Builder {
            private int steps = 60;
            private int rank = 16;
            private double alphaFactor = 4;
            private OptimizerConfig optimizer = OptimizerConfig.glance();
            private CustomTimesteps.DrawMode draw = CustomTimesteps.DrawMode.PER_BATCH;
            private double captionDropout;
            private int batchSize = 1;
            private TargetSelector targets = TargetSelector.regex("transformer_blocks\\..*");
            private double guidance = Double.NaN;
            private long seed;

            public Builder steps(int v) {
                steps = v;
                return this;
            }

            public Builder rank(int v) {
                rank = v;
                return this;
            }

            public Builder alphaFactor(double v) {
                alphaFactor = v;
                return this;
            }

            public Builder optimizer(OptimizerConfig v) {
                optimizer = v;
                return this;
            }

            public Builder lr(double v) {
                optimizer = optimizer.withLr(v);
                return this;
            }

            public Builder draw(CustomTimesteps.DrawMode v) {
                draw = v;
                return this;
            }

            public Builder captionDropout(double v) {
                captionDropout = v;
                return this;
            }

            public Builder batchSize(int v) {
                batchSize = v;
                return this;
            }

            public Builder targets(TargetSelector v) {
                targets = v;
                return this;
            }

            public Builder guidance(double v) {
                guidance = v;
                return this;
            }

            public Builder seed(long v) {
                seed = v;
                return this;
            }

            public Config build() {
                return new Config(steps, rank, alphaFactor, optimizer, draw, captionDropout, batchSize, targets,
                        guidance, seed);
            }
        }
    }

    /** One training step of one phase, for loss curves. */
    public record LossPoint(String phase, long step, double sigma, double loss) {
    }

    /** Both adapters (now on the model's transformer) and how their training went. */
    public record Result(GlanceLists lists, LoraAdapter slow, LoraAdapter fast, List<LossPoint> losses, double seconds) {
    }

    private Glance() {
    }

    /**
     * Checks a hand-given list: non-empty, finite, within [0, 1000] (values above 1 are timesteps; all <= 1 are
     * sigmas). Fails before any training.
     */
    public static double[] requireList(String phase, double[] timesteps) {
        if (timesteps == null || timesteps.length == 0) {
            throw new IllegalArgumentException("the " + phase + " timestep list is empty");
        }
        for (double t : timesteps) {
            if (!Double.isFinite(t) || t < 0 || t > 1000) {
                throw new IllegalArgumentException("the " + phase + " list holds " + t + "; timesteps must lie in [0, 1000]");
            }
        }
        return timesteps.clone();
    }

    /**
     * The training example as the transformer sees it: the image's latents (c, h, w) and where its caption's
     * conditioning comes from (the text encoder, or a cache of its outputs so that training runs no encoder).
     */
    public record Example(float[] latents, String caption, PromptEncoder prompts) {
        /** The image through the model's codec (once), the caption through its text encoder. */
        public static Example of(DiffusionModel model, float[] pixels, String caption) {
            requireImage(model, pixels);
            model.textEncoder().check(caption);
            try (NDManager m = model.transformer().manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
                long[] shape = Shapes.batched(1, model.pixelShape());
                float[] z = model.codec().encode(OwnedArrays.create(m, pixels, new ai.djl.ndarray.types.Shape(shape)))
                        .toFloatArray();
                return new Example(z, caption, model.textEncoder());
            }
        }

        /** (1, c, h, w) in {@code m}. */
        NDArray x0(DiffusionModel model, NDManager m) {
            if (latents.length != Shapes.size(model.latentShape())) {
                throw new IllegalArgumentException("the example's latents hold " + latents.length + " values; this model"
                        + " takes " + Shapes.text(model.latentShape()) + " latents");
            }
            return OwnedArrays.create(m, latents, new ai.djl.ndarray.types.Shape(Shapes.batched(1, model.latentShape())));
        }
    }

    /**
     * Trains the slow and the fast LoRA on one image and caption; both end up on the model's transformer as adapters
     * {@code "slow"} and {@code "fast"} (replacing earlier ones of those names).
     *
     * @param pixels one image (C, H, W) of the codec's size, in [-1, 1]
     */
    public static Result train(DiffusionModel model, float[] pixels, String caption, GlanceLists lists, Config config,
                               ProgressListener listener) {
        requireList(SLOW, lists.slow());
        requireList(FAST, lists.fast());
        return train(model, Example.of(model, pixels, caption), lists, config, listener);
    }

    /** The same on a prepared example (latents and conditioning from caches, for example). */
    public static Result train(DiffusionModel model, Example example, GlanceLists lists, Config config,
                               ProgressListener listener) {
        requireList(SLOW, lists.slow());
        requireList(FAST, lists.fast());
        long start = System.nanoTime();
        List<LossPoint> losses = Collections.synchronizedList(new ArrayList<>());
        try (NDManager m = model.transformer().manager().newSubManager()) {
            NDArray x0 = example.x0(model, m);
            LoraAdapter slow = trainPhase(model, SLOW, lists.slow(), x0, example, config, config.seed(), losses, listener);
            LoraAdapter fast = trainPhase(model, FAST, lists.fast(), x0, example, config, config.seed() + 1, losses, listener);
            return new Result(lists, slow, fast, List.copyOf(losses), (System.nanoTime() - start) / 1e9);
        }
    }

    private static void requireImage(DiffusionModel model, float[] pixels) {
        long[] shape = model.pixelShape();
        if (pixels.length != Shapes.size(shape)) {
            throw new IllegalArgumentException("the image has " + pixels.length + " values; this model's codec takes "
                    + Shapes.text(shape) + " images (" + Shapes.size(shape) + " values)");
        }
    }

    private static LoraAdapter trainPhase(DiffusionModel model, String phase, double[] timesteps, NDArray x0,
                                          Example example, Config config, long seed, List<LossPoint> losses,
                                          ProgressListener listener) {
        Lora lora = Lora.of(model.transformer());
        if (lora.has(phase)) {
            lora.remove(phase);
        }
        LoraAdapter adapter = lora.add(new LoraConfig(phase, config.rank(), config.alphaFactor() * config.rank(),
                config.targets()), seed);
        FlowMatchingTrainer.Config tc = FlowMatchingTrainer.Config.builder().batchSize(config.batchSize()).seed(seed)
                .sampler(CustomTimesteps.of(timesteps, config.draw())).weighting(LossWeighting.NONE)
                .captionDropout(config.captionDropout()).optimizer(config.optimizer()).guidance(config.guidance())
                .build();
        // the phase's adapter for this thread only: a notebook may sample the model meanwhile
        try (Lora.Scope s = lora.useAdapter(phase);
             FlowMatchingTrainer trainer = new FlowMatchingTrainer(model, List.copyOf(adapter.parameters().all()),
                     oneImage(x0, example.caption()), tc, example.prompts())) {
            trainer.train(config.steps(), new ProgressListener() {
                @Override
                public void onProgress(Progress p) {
                    ProgressListener.notify(listener, new Progress("glance " + phase, p.step(), p.total(),
                            p.elapsedSeconds(), p.metrics(), p.preview(), p.startStep()));
                }
            }).forEach(r -> losses.add(new LossPoint(phase, r.step(), r.sigmas()[0], r.loss())));
        } finally {
            adapter.parameters().setTrainable(false);
        }
        return adapter;
    }

    /** The same latent (1, c, h, w) and caption every step. */
    static TrainingBatch.Source oneImage(NDArray x0, String caption) {
        return (step, size, rng, m) -> {
            NDList copies = new NDList();
            for (int i = 0; i < size; i++) {
                copies.add(x0);
            }
            NDArray batch = size == 1 ? x0.duplicate() : NDArrays.concat(copies);
            batch.attach(m);
            return new TrainingBatch(batch, Collections.nCopies(size, caption));
        };
    }

    /** The two-phase (in general N-phase) plan: slow adapter on the slow steps, fast adapter on the fast ones. */
    public static SamplingPlan plan(GlanceLists lists) {
        Schedule s = lists.inferenceSchedule();
        return SamplingPlan.phases(s, List.of(new SamplingPlan.Phase(SLOW, lists.slow().length),
                new SamplingPlan.Phase(FAST, lists.fast().length))).withLabel("Glance@" + s.steps());
    }

    /**
     * The official Qwen pipeline's integration: the model sees the same ten sigmas, but phase-1 steps move by the
     * 50-step base schedule's step at that position and phase-2 steps by a fresh {@code fast.length}-step schedule.
     *
     * @param fresh the fresh schedule for phase 2 (same preset and size, {@code fast.length} steps)
     */
    public static SamplingPlan officialQwenPlan(GlanceLists lists, Schedule fresh) {
        if (fresh.steps() != lists.fast().length) {
            throw new IllegalArgumentException("the fresh phase-2 schedule has " + fresh.steps() + " steps; the fast list "
                    + lists.fast().length);
        }
        List<EulerStep> steps = new ArrayList<>();
        double[] base = lists.base().sigmas();
        for (double t : lists.slow()) {
            int p = positionOf(base, t / 1000);
            double sigma = t / 1000;
            steps.add(new EulerStep(sigma, sigma + (base[p + 1] - base[p]), SLOW));
        }
        double[] d = fresh.deltas();
        for (int j = 0; j < lists.fast().length; j++) {
            double sigma = lists.fast()[j] / 1000;
            steps.add(new EulerStep(sigma, sigma + d[j], FAST));
        }
        return new SamplingPlan("Glance@10 official-qwen", steps, 1.0);
    }

    private static int positionOf(double[] sigmas, double sigma) {
        for (int i = 0; i < sigmas.length - 1; i++) {
            if (Math.abs(sigmas[i] - sigma) < 1e-12) {
                return i;
            }
        }
        throw new IllegalArgumentException("sigma " + sigma + " is not a step of the base schedule");
    }

    /**
     * The flow-matching loss of the model (with {@code adapter} on its transformer, or {@code "base"}) on the image
     * at each sigma, averaged over fixed noise seeds: what "the LoRA learned its timesteps" means.
     *
     * @param pixels one image (C, H, W) of the codec's size
     */
    public static double[] lossAt(DiffusionModel model, String adapter, float[] pixels, String caption, double[] sigmas,
                                  int noiseSeeds) {
        return lossAt(model, adapter, Example.of(model, pixels, caption), sigmas, noiseSeeds);
    }

    /** The same on a prepared example. */
    public static double[] lossAt(DiffusionModel model, String adapter, Example example, double[] sigmas,
                                  int noiseSeeds) {
        double[] out = new double[sigmas.length];
        try (NoGrad ng = NoGrad.enter(); Lora.Scope s = Lora.of(model.transformer()).useAdapter(adapter);
             NDManager m = model.transformer().manager().newSubManager()) {
            long[] seeds = new long[noiseSeeds];
            for (int k = 0; k < noiseSeeds; k++) {
                seeds[k] = 10_000 + k;
            }
            NDArray x0 = oneImage(example.x0(model, m), example.caption()).batch(0, noiseSeeds, null, m).x0();
            NDArray noise = Noise.forSeeds(m, seeds, model.latentShape());
            Conditioning cond = example.prompts().encode(Collections.nCopies(noiseSeeds, example.caption()), m);
            if (model.transformer().takesGuidance()) {
                cond = cond.withGuidance(model.defaults().guidance(), m);
            }
            for (int i = 0; i < sigmas.length; i++) {
                float[] sig = new float[noiseSeeds];
                java.util.Arrays.fill(sig, (float) sigmas[i]);
                NDArray sigma = OwnedArrays.create(m, sig);
                NDArray v = model.transformer().velocity(Flow.noised(x0, noise, sigma), sigma, cond);
                out[i] = v.sub(Flow.velocityTarget(x0, noise)).square().mean().getFloat();
            }
        }
        return out;
    }
}
