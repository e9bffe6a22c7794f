package org.flowlab.schedule;

import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The schedulers of the models Flowlab studies, and what their pipelines pass to {@code set_timesteps}
 * (SPEC-flow.md, table "Pipelines call it like this").
 */
public enum SchedulePreset {
    /** Flux.1-dev: dynamic exponential shift, mu from the image size; the pipeline passes linspace(1, 1/n, n). */
    FLUX_DEV("flux-dev",
            new SchedulerConfig(1000, ShiftMode.EXPONENTIAL, 3.0, new DynamicShift(0.5, 1.15, 256, 4096),
                    OptionalDouble.empty()),
            PipelineInput.SIGMAS_TO_ONE_OVER_N),
    /** Qwen-Image: as Flux with a flatter mu line and the schedule stretched to end at 0.02. */
    QWEN_IMAGE("qwen-image",
            new SchedulerConfig(1000, ShiftMode.EXPONENTIAL, 1.0, new DynamicShift(0.5, 0.9, 256, 8192),
                    OptionalDouble.of(0.02)),
            PipelineInput.SIGMAS_TO_ONE_OVER_N),
    /** Stable Diffusion 3: static shift 3 and the scheduler's default path (the low end is shifted twice). */
    SD3("sd3", SchedulerConfig.staticShift(3.0), PipelineInput.NOTHING),
    /** Plain rectified flow: no shift, the default path. */
    LINEAR("linear", SchedulerConfig.staticShift(1.0), PipelineInput.NOTHING);

    /** What a pipeline hands the scheduler besides the step count. */
    public enum PipelineInput {
        /** {@code sigmas = linspace(1, 1/n, n)} and {@code mu = calculate_shift(seq_len)} (Flux, Qwen-Image). */
        SIGMAS_TO_ONE_OVER_N,
        /** Nothing: the scheduler's own {@code linspace(sigma_max, sigma_min)} path (SD3). */
        NOTHING
    }

    private final String id;
    private final SchedulerConfig config;
    private final PipelineInput input;

    SchedulePreset(String id, SchedulerConfig config, PipelineInput input) {
        this.id = id;
        this.config = config;
        this.input = input;
    }

    /** The name used on the command line and in files, e.g. {@code flux-dev}. */
    public String id() {
        return id;
    }

    public SchedulerConfig config() {
        return config;
    }

    public PipelineInput pipelineInput() {
        return input;
    }

    public boolean isDynamic() {
        return config.shiftMode().isDynamic();
    }

    /** The schedule the model's own pipeline would use for {@code steps} steps at {@code width x height}. */
    public Schedule schedule(int steps, int width, int height) {
        return request().steps(steps).size(width, height).build();
    }

    /** The schedule of a static preset, which needs no size. */
    public Schedule schedule(int steps) {
        return request().steps(steps).build();
    }

    public ScheduleRequest request() {
        return new ScheduleRequest(this);
    }

    public static SchedulePreset fromId(String id) {
        for (SchedulePreset p : values()) {
            if (p.id.equalsIgnoreCase(id) || p.name().equalsIgnoreCase(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + id + "'; use one of " + ids());
    }

    public static String ids() {
        return Arrays.stream(values()).map(SchedulePreset::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }

    static String sizeLabel(int width, int height) {
        return String.format(Locale.ROOT, "%dx%d", width, height);
    }
}
