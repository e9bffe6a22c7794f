package org.flowlab.schedule;

import java.util.Arrays;
import java.util.OptionalDouble;

/**
 * The configuration of a flow-matching Euler scheduler, as diffusers' {@code FlowMatchEulerDiscreteScheduler}
 * reads it, and the one rule that turns a request into sigmas ({@link #setTimesteps}).
 *
 * @param numTrainTimesteps the training table size; 1000 everywhere in practice
 * @param shiftMode static shift, or a dynamic shift whose {@code mu} comes with each call
 * @param shift the static shift {@code s}; ignored when dynamic (diffusers ignores it too)
 * @param dynamic how pipelines compute {@code mu} from the image size; {@code null} for static schedulers
 * @param shiftTerminal stretch the schedule so its last sigma before 0 lands here (Qwen-Image: 0.02)
 */
public record SchedulerConfig(int numTrainTimesteps, ShiftMode shiftMode, double shift, DynamicShift dynamic,
                              OptionalDouble shiftTerminal) {

    public SchedulerConfig {
        if (numTrainTimesteps < 2) {
            throw new IllegalArgumentException("numTrainTimesteps " + numTrainTimesteps + " is too small; use 1000");
        }
        if (shiftMode == ShiftMode.STATIC) {
            TimeShift.of(shift); // validates
        }
        if (shiftTerminal.isPresent()) {
            double z = shiftTerminal.getAsDouble();
            if (!(z >= 0 && z < 1)) {
                throw new IllegalArgumentException("shift_terminal " + z + " must lie in [0, 1)");
            }
        }
    }

    public static SchedulerConfig staticShift(double shift) {
        return new SchedulerConfig(1000, ShiftMode.STATIC, shift, null, OptionalDouble.empty());
    }

    public SchedulerConfig withStaticShift(double newShift) {
        return new SchedulerConfig(numTrainTimesteps, ShiftMode.STATIC, newShift, dynamic, shiftTerminal);
    }

    public SchedulerConfig withShiftTerminal(double terminal) {
        return new SchedulerConfig(numTrainTimesteps, shiftMode, shift, dynamic, OptionalDouble.of(terminal));
    }

    /**
     * The training table made at construction: {@code t = 1000..1}, {@code sig = t/1000}, statically shifted unless
     * the scheduler is dynamic. SD3-style training draws index into it.
     */
    public double[] trainingSigmas() {
        double[] t = Linspace.of(1, numTrainTimesteps, numTrainTimesteps);
        double[] sig = new double[numTrainTimesteps];
        for (int i = 0; i < numTrainTimesteps; i++) {
            sig[i] = t[numTrainTimesteps - 1 - i] / numTrainTimesteps;
        }
        return shiftMode.isDynamic() ? sig : TimeShift.of(shift).applyAll(sig);
    }

    /**
     * diffusers' {@code set_timesteps}: the default {@code linspace(1000*sigma_max, 1000*sigma_min, n)} path, or custom
     * sigmas / timesteps; then every sigma is shifted (custom sigmas too), stretched to the terminal if configured,
     * and a terminal 0 appended.
     *
     * @param steps number of inference steps; ignored when custom sigmas or timesteps are given
     * @param customSigmas sigmas passed by the pipeline, or {@code null}
     * @param customTimesteps timesteps (x1000) passed by the pipeline, or {@code null}
     * @param mu required for dynamic schedulers, ignored (must be absent) otherwise
     */
    public Schedule setTimesteps(String label, int steps, double[] customSigmas, double[] customTimesteps,
                                 OptionalDouble mu) {
        if (customSigmas != null && customTimesteps != null) {
            throw new IllegalArgumentException("give either custom sigmas or custom timesteps, not both");
        }
        double[] sigmas;
        if (customSigmas != null) {
            sigmas = requireList("sigmas", customSigmas).clone();
        } else if (customTimesteps != null) {
            sigmas = Arrays.stream(requireList("timesteps", customTimesteps)).map(t -> t / numTrainTimesteps).toArray();
        } else {
            if (steps < 1) {
                throw new IllegalArgumentException("steps " + steps + " is not allowed; use 1 or more");
            }
            double[] table = trainingSigmas();
            double sigmaMax = table[0];
            double sigmaMin = table[table.length - 1];
            sigmas = Linspace.of(sigmaMax * numTrainTimesteps, sigmaMin * numTrainTimesteps, steps);
            for (int i = 0; i < sigmas.length; i++) {
                sigmas[i] /= numTrainTimesteps;
            }
        }

        TimeShift shiftRule = switch (shiftMode) {
            case STATIC -> TimeShift.of(shift);
            case EXPONENTIAL -> new TimeShift.Exponential(requireMu(mu));
            case LINEAR -> new TimeShift.Linear(requireMu(mu));
        };
        sigmas = shiftRule.applyAll(sigmas);
        if (shiftTerminal.isPresent()) {
            sigmas = stretchToTerminal(sigmas, shiftTerminal.getAsDouble());
        }
        double[] withTerminal = Arrays.copyOf(sigmas, sigmas.length + 1); // the appended 0
        return new Schedule(label, withTerminal, shiftMode.isDynamic() ? mu : OptionalDouble.empty());
    }

    /** diffusers' {@code stretch_shift_to_terminal}: scale {@code 1 - sigma} so the last sigma becomes {@code z}. */
    static double[] stretchToTerminal(double[] sigmas, double z) {
        if (sigmas[sigmas.length - 1] >= 1) {
            // diffusers divides 0 by 0 here and returns NaN sigmas
            throw new IllegalArgumentException("shift_terminal " + z + " cannot stretch a schedule whose last sigma is "
                    + sigmas[sigmas.length - 1] + "; use at least 2 steps");
        }
        double scale = (1 - sigmas[sigmas.length - 1]) / (1 - z);
        double[] out = new double[sigmas.length];
        for (int i = 0; i < sigmas.length; i++) {
            out[i] = 1 - (1 - sigmas[i]) / scale;
        }
        return out;
    }

    private double requireMu(OptionalDouble mu) {
        if (mu.isEmpty()) {
            throw new IllegalArgumentException("this scheduler shifts dynamically and needs mu: give an image size"
                    + " (mu = calculate_shift(seq_len)) or mu itself");
        }
        return mu.getAsDouble();
    }

    private static double[] requireList(String what, double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("custom " + what + " list is empty");
        }
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("custom " + what + " hold a non-finite value " + v);
            }
        }
        return values;
    }
}
