package org.flowlab.schedule;

import java.util.OptionalDouble;

/**
 * A schedule request against a preset, with the overrides a researcher reaches for. Built in the style of a
 * pipeline call: {@code SchedulePreset.FLUX_DEV.request().steps(28).size(1024, 1024).build()}.
 *
 * <p>Overrides: {@link #shift} turns the scheduler into a static-shift one (how SCFM samples Flux with shift 3.25);
 * {@link #mu} replaces the size-derived mu of a dynamic preset; custom sigmas / timesteps replace what the
 * pipeline would pass and are still shifted by the scheduler, exactly as diffusers does.
 */
public final class ScheduleRequest {
    private final SchedulePreset preset;
    private int steps = -1;
    private int width = -1;
    private int height = -1;
    private OptionalDouble shift = OptionalDouble.empty();
    private OptionalDouble mu = OptionalDouble.empty();
    private OptionalDouble shiftTerminal = OptionalDouble.empty();
    private double[] sigmas;
    private double[] timesteps;

    ScheduleRequest(SchedulePreset preset) {
        this.preset = preset;
    }

    public ScheduleRequest steps(int steps) {
        this.steps = steps;
        return this;
    }

    public ScheduleRequest size(int width, int height) {
        DynamicShift.seqLen(width, height); // validates: multiples of 16
        this.width = width;
        this.height = height;
        return this;
    }

    public ScheduleRequest shift(double shift) {
        TimeShift.of(shift); // validates
        this.shift = OptionalDouble.of(shift);
        return this;
    }

    public ScheduleRequest mu(double mu) {
        if (!Double.isFinite(mu)) {
            throw new IllegalArgumentException("mu " + mu + " is not a finite number");
        }
        this.mu = OptionalDouble.of(mu);
        return this;
    }

    public ScheduleRequest shiftTerminal(double z) {
        this.shiftTerminal = OptionalDouble.of(z);
        return this;
    }

    public ScheduleRequest sigmas(double... sigmas) {
        this.sigmas = sigmas.clone();
        return this;
    }

    public ScheduleRequest timesteps(double... timesteps) {
        this.timesteps = timesteps.clone();
        return this;
    }

    public Schedule build() {
        SchedulerConfig config = preset.config();
        if (shift.isPresent()) {
            config = config.withStaticShift(shift.getAsDouble());
        }
        if (shiftTerminal.isPresent()) {
            config = config.withShiftTerminal(shiftTerminal.getAsDouble());
        }
        boolean custom = sigmas != null || timesteps != null;
        if (!custom && steps < 1) {
            throw new IllegalArgumentException("steps " + steps + " is not allowed; use 1 or more");
        }

        OptionalDouble resolvedMu = OptionalDouble.empty();
        if (config.shiftMode().isDynamic()) {
            if (mu.isPresent()) {
                resolvedMu = mu;
            } else if (width > 0) {
                resolvedMu = OptionalDouble.of(config.dynamic().mu(width, height));
            } else {
                throw new IllegalArgumentException("preset " + preset.id() + " shifts by image size: give a size"
                        + " (e.g. 1024x1024) or mu");
            }
        } else if (mu.isPresent()) {
            throw new IllegalArgumentException("mu " + mu.getAsDouble() + " has no effect on a static shift ("
                    + config.shift() + "); give a shift instead");
        }

        double[] passedSigmas = sigmas;
        if (!custom && preset.pipelineInput() == SchedulePreset.PipelineInput.SIGMAS_TO_ONE_OVER_N) {
            passedSigmas = Linspace.of(1.0, 1.0 / steps, steps);
        }
        int n = custom ? (sigmas != null ? sigmas.length : timesteps.length) : steps;
        return config.setTimesteps(label(n), n, passedSigmas, timesteps, resolvedMu);
    }

    private String label(int n) {
        StringBuilder sb = new StringBuilder(preset.id());
        if (width > 0) {
            sb.append(' ').append(SchedulePreset.sizeLabel(width, height));
        }
        sb.append(", ").append(n).append(n == 1 ? " step" : " steps");
        shift.ifPresent(s -> sb.append(", shift ").append(s));
        if (sigmas != null) {
            sb.append(", custom sigmas");
        } else if (timesteps != null) {
            sb.append(", custom timesteps");
        }
        return sb.toString();
    }
}
