package org.flowlab.train;

/**
 * AdamW and its learning-rate schedule.
 *
 * @param lr peak learning rate
 * @param beta1 first-moment decay
 * @param beta2 second-moment decay
 * @param weightDecay decoupled weight decay (AdamW, not L2)
 * @param eps added to the denominator
 * @param gradClip global gradient-norm limit; 0 = no clipping
 * @param warmupSteps linear warm-up length
 * @param cosine decay to {@code minLrRatio * lr} by a half cosine after warm-up, else constant
 * @param minLrRatio the cosine's floor as a fraction of lr
 */
public record OptimizerConfig(double lr, double beta1, double beta2, double weightDecay, double eps, double gradClip,
                              int warmupSteps, boolean cosine, double minLrRatio) {

    public OptimizerConfig {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate " + lr + " must be a finite value > 0");
        }
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas " + beta1 + ", " + beta2 + " must lie in [0, 1)");
        }
        if (!(weightDecay >= 0) || !(eps > 0) || !(gradClip >= 0) || warmupSteps < 0) {
            throw new IllegalArgumentException("weight decay " + weightDecay + ", eps " + eps + ", clip " + gradClip
                    + ", warm-up " + warmupSteps + ": use wd >= 0, eps > 0, clip >= 0, warm-up >= 0");
        }
    }

    /** Glance's official recipe (Flux): LR 5e-4, wd 0.01, clip 1, 10 warm-up steps, then constant. */
    public static OptimizerConfig glance() {
        return new OptimizerConfig(5e-4, 0.9, 0.999, 0.01, 1e-8, 1.0, 10, false, 0);
    }

    /** SCFM's released scripts: LR 2e-5, wd 1e-4, clip 10 (Flux), constant, no warm-up. */
    public static OptimizerConfig scfm() {
        return new OptimizerConfig(2e-5, 0.9, 0.999, 1e-4, 1e-8, 10.0, 0, false, 0);
    }

    /** Toy teacher pre-training: warm-up, then a cosine tail to 5%. */
    public static OptimizerConfig teacher() {
        return new OptimizerConfig(6e-4, 0.9, 0.999, 0.0, 1e-8, 1.0, 500, true, 0.05);
    }

    public OptimizerConfig withLr(double newLr) {
        return new OptimizerConfig(newLr, beta1, beta2, weightDecay, eps, gradClip, warmupSteps, cosine, minLrRatio);
    }

    public OptimizerConfig withGradClip(double clip) {
        return new OptimizerConfig(lr, beta1, beta2, weightDecay, eps, clip, warmupSteps, cosine, minLrRatio);
    }

    public OptimizerConfig withWarmup(int steps) {
        return new OptimizerConfig(lr, beta1, beta2, weightDecay, eps, gradClip, steps, cosine, minLrRatio);
    }

    /**
     * The learning rate of step {@code step} (0-based) in a run of {@code total} steps. Warm-up is
     * {@code (step+1)/warmup}: diffusers' {@code step/warmup} spends the first step at LR 0.
     */
    public double lrAt(long step, long total) {
        if (step < warmupSteps) {
            return lr * (step + 1) / warmupSteps;
        }
        if (!cosine || total <= warmupSteps) {
            return lr;
        }
        // 0 at the first step after warm-up, 1 at the last step of the run
        double progress = Math.min(1.0, (step - warmupSteps) / (double) Math.max(1, total - warmupSteps - 1));
        return lr * (minLrRatio + (1 - minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
