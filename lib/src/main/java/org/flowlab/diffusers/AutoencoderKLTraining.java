package org.flowlab.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.flowlab.flow.Noise;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Ops;
import org.flowlab.model.Parameter;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.train.AdamW;
import org.flowlab.train.OptimizerConfig;
import org.flowlab.train.TrainingBatch;

/**
 * Trains an {@link AutoencoderKL} the way Stable Diffusion's VAE objective reads without its adversarial and
 * perceptual terms: the decoder's reconstruction of a posterior sample {@code mean + exp(logvar / 2) * eps}, squared
 * error, plus a small KL term to the unit Gaussian that keeps the latent space smooth. Afterwards
 * {@link #fitFactors} sets {@code shift_factor} and {@code scaling_factor} so the scaled latents have mean 0 and std
 * 1, as Flux's and SD3's VAEs do, which is what a flow model's noise schedule assumes.
 */
public final class AutoencoderKLTraining {
    private AutoencoderKLTraining() {
    }

    /**
     * @param steps optimizer steps
     * @param klWeight weight of the KL term (SD's VAE: 1e-6 per element against a per-element reconstruction)
     */
    public record Config(int steps, int batchSize, OptimizerConfig optimizer, double klWeight, long seed) {
        public Config {
            if (steps < 1 || batchSize < 1 || !(klWeight >= 0)) {
                throw new IllegalArgumentException("steps " + steps + ", batch " + batchSize + ", KL weight " + klWeight
                        + ": need steps and batch >= 1 and a KL weight >= 0");
            }
        }

        /** 1e-3 constant after 100 warm-up steps, KL 1e-6, batch 16. */
        public static Config standard(int steps) {
            return new Config(steps, 16, new OptimizerConfig(1e-3, 0.9, 0.999, 0.0, 1e-8, 1.0, 100, false, 0), 1e-6, 0);
        }
    }

    /** One step's losses: reconstruction MSE and KL per element. */
    public record StepLoss(long step, double reconstruction, double kl) {
    }

    /**
     * Trains every weight of {@code vae} on images from {@code data} (pixels (B, C, H, W) in [-1, 1]; captions ignored).
     * Interruptible between steps.
     */
    public static List<StepLoss> train(AutoencoderKL vae, TrainingBatch.Source data, Config config,
                                       ProgressListener listener) {
        Engines.prepareThread();
        List<Parameter> weights = List.copyOf(vae.parameters().all());
        weights.forEach(p -> p.setTrainable(true));
        List<StepLoss> losses = new ArrayList<>();
        long start = System.nanoTime();
        try (AdamW optimizer = new AdamW(weights, config.optimizer(), vae.manager())) {
            for (long step = 0; step < config.steps(); step++) {
                Interruption.check("while training the VAE, " + step + " of " + config.steps() + " steps done");
                try (NDManager m = vae.manager().newSubManager()) {
                    NDArray x = data.batch(step, config.batchSize(), Noise.stream(config.seed(), step, 0), m).x0();
                    long[] latent = vae.latentShape();
                    NDArray eps = Noise.gaussian(m, Noise.stream(config.seed(), step, 1),
                            new ai.djl.ndarray.types.Shape(x.getShape().get(0), latent[0], latent[1], latent[2]));
                    optimizer.zeroGradients();
                    double rec;
                    double kl;
                    try (GradientCollector gc = Engines.get().newGradientCollector()) {
                        NDArray[] dist = vae.latentDistribution(x);
                        NDArray z = dist[0].add(dist[1].mul(x.getManager().full(new ai.djl.ndarray.types.Shape(), 0.5f))
                                .exp().mul(eps));
                        NDArray recon = vae.decodeRaw(z).sub(x).square().mean();
                        // KL(N(mu, s^2) || N(0, 1)) per element: (mu^2 + s^2 - 1 - log s^2) / 2
                        NDArray klTerm = Ops.scale(dist[0].square().add(dist[1].exp()).sub(1f).sub(dist[1]).mean(), 0.5);
                        NDArray loss = recon.add(Ops.scale(klTerm, config.klWeight()));
                        rec = recon.getFloat();
                        kl = klTerm.getFloat();
                        if (!Double.isFinite(rec + kl)) {
                            throw new AdamW.NonFiniteException("VAE loss is not finite at step " + step);
                        }
                        gc.backward(loss);
                    }
                    try (NoGrad ng = NoGrad.enter()) {
                        optimizer.step(config.optimizer().lrAt(step, config.steps()));
                    }
                    losses.add(new StepLoss(step, rec, kl));
                    ProgressListener.notify(listener, Progress.of("vae", step + 1, config.steps(),
                            (System.nanoTime() - start) / 1e9));
                }
            }
        } finally {
            weights.forEach(p -> p.setTrainable(false));
        }
        return losses;
    }

    /**
     * Sets the VAE's shift and scaling factors from the mean and standard deviation of the distribution means of
     * {@code images} (B, C, H, W), so {@code encode} gives latents of mean 0 and std 1 on such images.
     */
    public static AutoencoderKL fitFactors(AutoencoderKL vae, NDArray images) {
        try (NoGrad ng = NoGrad.enter(); NDManager m = vae.manager().newSubManager()) {
            NDArray mean = vae.latentDistribution(images.toDevice(m.getDevice(), false))[0];
            float[] v = mean.toFloatArray();
            double mu = 0;
            for (float f : v) {
                mu += f / v.length;
            }
            double var = 0;
            for (float f : v) {
                var += (f - mu) * (f - mu) / (v.length - 1);
            }
            return vae.withFactors(1 / Math.sqrt(var), mu);
        }
    }
}
