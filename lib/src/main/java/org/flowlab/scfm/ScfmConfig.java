package org.flowlab.scfm;

import org.flowlab.lora.TargetSelector;
import org.flowlab.model.DiffusionModel;
import org.flowlab.train.OptimizerConfig;

/**
 * Everything an SCFM run is configured by; defaults are the released scripts' (SPEC-scfm.md).
 *
 * @param teacherRatio probability that a sample's first jump is taken by the teacher (else the fast EMA)
 * @param tSkip sub-steps per training segment (even): the segment spans T[j] .. T[j + tSkip]
 * @param teacherMinSteps smallest teacher grid (a multiple of tSkip)
 * @param teacherMaxSteps largest teacher grid
 * @param nonShortcutRatio the first ceil(B r) samples of a batch get the plain flow-matching target instead
 * @param shiftMin static grid shift drawn from [shiftMin, shiftMax)
 * @param shiftMax see shiftMin
 * @param dynamicShiftProbability probability of the resolution-dependent (Flux) shift instead
 * @param fastDecay the fast EMA's decay (0.99)
 * @param slowDecay the slow EMA's decay (0.999)
 * @param emaRestartEvery restart both EMAs to the student every K steps; 0 = never (SD3 recipe: 2000)
 * @param rank LoRA rank
 * @param alpha LoRA alpha (scale alpha / rank)
 * @param targets which Linears get the LoRA (every Linear, as released)
 * @param optimizer AdamW: LR 2e-5, wd 1e-4, clip 10 (Flux)
 * @param batchSize samples per step
 * @param teacherCfg classifier-free guidance in every teacher / EMA pass (SD3.5: 3.5; 1 = off)
 * @param seed every draw of the run
 * @param phase the sigmas a training segment must lie within; {@link Phase#WHOLE} as released, a part of it for a
 *     student of one Glance phase
 */
public record ScfmConfig(double teacherRatio, int tSkip, int teacherMinSteps, int teacherMaxSteps,
                         double nonShortcutRatio, double shiftMin, double shiftMax, double dynamicShiftProbability,
                         double fastDecay, double slowDecay, int emaRestartEvery, int rank, double alpha,
                         TargetSelector targets, OptimizerConfig optimizer, int batchSize, double teacherCfg, long seed,
                         Phase phase) {

    /**
     * A band of noise levels, from {@code high} down to {@code low}: segments {@code T[j] .. T[j + t_skip]} are drawn
     * only inside it, so a student learns one phase of sampling (Glance's split, applied to SCFM).
     */
    public record Phase(double high, double low) {
        /** Every segment: the released recipe. */
        public static final Phase WHOLE = new Phase(1, 0);

        public Phase {
            if (!(high <= 1 && low >= 0 && high > low)) {
                throw new IllegalArgumentException("phase sigmas " + high + " .. " + low + " must satisfy"
                        + " 1 >= high > low >= 0");
            }
        }

        /** The early, semantic steps: sigma from 1 down to {@code split}. */
        public static Phase slow(double split) {
            return new Phase(1, split);
        }

        /** The late, detail steps: sigma from {@code split} down to 0. */
        public static Phase fast(double split) {
            return new Phase(split, 0);
        }

        public boolean holds(double from, double to) {
            return from <= high + 1e-12 && to >= low - 1e-12;
        }

        public boolean isWhole() {
            return equals(WHOLE);
        }
    }

    public ScfmConfig {
        requireProbability("teacher_ratio", teacherRatio);
        requireProbability("non_shortcut_ratio", nonShortcutRatio);
        requireProbability("dynamic shift probability", dynamicShiftProbability);
        requireTSkip(tSkip, teacherMinSteps);
        if (teacherMaxSteps < teacherMinSteps || teacherMaxSteps % tSkip != 0) {
            throw new IllegalArgumentException("teacher steps " + teacherMinSteps + ".." + teacherMaxSteps
                    + " must be multiples of t_skip " + tSkip + " with min <= max");
        }
        if (!(shiftMin > 0 && shiftMax >= shiftMin)) {
            throw new IllegalArgumentException("shift range [" + shiftMin + ", " + shiftMax + ") must be positive");
        }
        if (!(fastDecay >= 0 && fastDecay <= 1 && slowDecay >= 0 && slowDecay <= 1)) {
            throw new IllegalArgumentException("EMA decays " + fastDecay + ", " + slowDecay + " must lie in [0, 1]");
        }
        if (phase == null) {
            throw new IllegalArgumentException("phase is null; use Phase.WHOLE for every segment");
        }
        if (emaRestartEvery < 0 || rank < 1 || !(alpha > 0) || batchSize < 1 || !(teacherCfg >= 0)) {
            throw new IllegalArgumentException("restart " + emaRestartEvery + ", rank " + rank + ", alpha " + alpha
                    + ", batch " + batchSize + ", cfg " + teacherCfg + ": use restart >= 0, rank >= 1, alpha > 0,"
                    + " batch >= 1, cfg >= 0");
        }
    }

    /** The released Flux script's settings (SPEC-scfm.md); start a variant with {@code official().toBuilder()}. */
    public static ScfmConfig official() {
        return new ScfmConfig(0.4, 2, 32, 32, 0.0, 2.5, 4.5, 0.1, 0.99, 0.999, 0, 64, 64, TargetSelector.all(),
                OptimizerConfig.scfm(), 8, 1.0, 0, Phase.WHOLE);
    }

    /**
     * The released recipe for this model's family: the Flux script's on Flux (and on the toy); on SD3 the SD3.5
     * script's differences: grad-norm clip 2, true CFG 3.5 in every teacher and EMA pass, EMAs restarted every 2000
     * steps.
     */
    public static ScfmConfig forModel(DiffusionModel model) {
        if (model.isPipeline(DiffusionModel.SD3_PIPELINE)) {
            ScfmConfig o = official();
            return o.toBuilder().optimizer(o.optimizer().withGradClip(2.0)).teacherCfg(3.5).emaRestartEvery(2000).build();
        }
        return official();
    }

    /**
     * How a student is meant to be sampled, stored in its LoRA file's metadata.
     *
     * @param guidance the guidance-embedding value for models that take one, else NaN
     */
    public record Inference(int steps, double shift, double loraScale, double guidance) {
    }

    /**
     * The recommended inference for this family (SPEC-scfm.md, "Inference"): Flux as in the released demo (5 steps,
     * shift 3.25, LoRA scale 1.6, guidance 5); SD3 at its shift 3 and 4 steps (no demo value is published; 3-8 steps
     * is the method's range); the toy at 3 steps, shift 3.
     */
    public static Inference inferenceFor(DiffusionModel model) {
        if (model.isPipeline(DiffusionModel.FLUX_PIPELINE)) {
            return new Inference(5, 3.25, 1.6, model.transformer().takesGuidance() ? 5.0 : Double.NaN);
        }
        if (model.isPipeline(DiffusionModel.SD3_PIPELINE)) {
            return new Inference(4, 3.0, 1.0, Double.NaN);
        }
        return new Inference(3, 3.0, 1.0, Double.NaN);
    }

    static void requireProbability(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " " + p + " must lie in [0, 1]");
        }
    }

    static void requireTSkip(int tSkip, int teacherMinSteps) {
        if (tSkip < 2 || tSkip % 2 != 0) {
            throw new IllegalArgumentException("t_skip " + tSkip + " must be even and at least 2 (two jumps of t_skip/2"
                    + " sub-steps each)");
        }
        if (tSkip > teacherMinSteps || teacherMinSteps % tSkip != 0) {
            throw new IllegalArgumentException("t_skip " + tSkip + " must divide the teacher grid (" + teacherMinSteps
                    + " steps) and not exceed it");
        }
    }

    public static Builder builder() {
        return official().toBuilder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.teacherRatio = teacherRatio;
        b.tSkip = tSkip;
        b.teacherMinSteps = teacherMinSteps;
        b.teacherMaxSteps = teacherMaxSteps;
        b.nonShortcutRatio = nonShortcutRatio;
        b.shiftMin = shiftMin;
        b.shiftMax = shiftMax;
        b.dynamicShiftProbability = dynamicShiftProbability;
        b.fastDecay = fastDecay;
        b.slowDecay = slowDecay;
        b.emaRestartEvery = emaRestartEvery;
        b.rank = rank;
        b.alpha = alpha;
        b.targets = targets;
        b.optimizer = optimizer;
        b.batchSize = batchSize;
        b.teacherCfg = teacherCfg;
        b.seed = seed;
        b.phase = phase;
        return b;
    }

    /** Builds an {@link ScfmConfig} from another one; {@link #build()} validates. */
    public static final class Builder {
        private double teacherRatio;
        private int tSkip;
        private int teacherMinSteps;
        private int teacherMaxSteps;
        private double nonShortcutRatio;
        private double shiftMin;
        private double shiftMax;
        private double dynamicShiftProbability;
        private double fastDecay;
        private double slowDecay;
        private int emaRestartEvery;
        private int rank;
        private double alpha;
        private TargetSelector targets;
        private OptimizerConfig optimizer;
        private int batchSize;
        private double teacherCfg;
        private long seed;
        private Phase phase;

        private Builder() {
        }

        public Builder teacherRatio(double v) {
            teacherRatio = v;
            return this;
        }

        public Builder tSkip(int v) {
            tSkip = v;
            return this;
        }

        public Builder teacherMinSteps(int v) {
            teacherMinSteps = v;
            return this;
        }

        public Builder teacherMaxSteps(int v) {
            teacherMaxSteps = v;
            return this;
        }

        public Builder nonShortcutRatio(double v) {
            nonShortcutRatio = v;
            return this;
        }

        public Builder shiftMin(double v) {
            shiftMin = v;
            return this;
        }

        public Builder shiftMax(double v) {
            shiftMax = v;
            return this;
        }

        public Builder dynamicShiftProbability(double v) {
            dynamicShiftProbability = v;
            return this;
        }

        public Builder fastDecay(double v) {
            fastDecay = v;
            return this;
        }

        public Builder slowDecay(double v) {
            slowDecay = v;
            return this;
        }

        public Builder emaRestartEvery(int v) {
            emaRestartEvery = v;
            return this;
        }

        public Builder rank(int v) {
            rank = v;
            return this;
        }

        public Builder alpha(double v) {
            alpha = v;
            return this;
        }

        public Builder targets(TargetSelector v) {
            targets = v;
            return this;
        }

        public Builder optimizer(OptimizerConfig v) {
            optimizer = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder teacherCfg(double v) {
            teacherCfg = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder phase(Phase v) {
            phase = v;
            return this;
        }

        /** Rank and alpha together (alpha / rank is the branch scale). */
        public Builder lora(int newRank, double newAlpha) {
            rank = newRank;
            alpha = newAlpha;
            return this;
        }

        /** The two EMA decays together. */
        public Builder decays(double fast, double slow) {
            fastDecay = fast;
            slowDecay = slow;
            return this;
        }

        public Builder lr(double v) {
            optimizer = optimizer.withLr(v);
            return this;
        }

        public ScfmConfig build() {
            return new ScfmConfig(teacherRatio, tSkip, teacherMinSteps, teacherMaxSteps, nonShortcutRatio, shiftMin, shiftMax, dynamicShiftProbability, fastDecay, slowDecay, emaRestartEvery, rank, alpha, targets, optimizer, batchSize, teacherCfg, seed, phase);
        }
    }
}
