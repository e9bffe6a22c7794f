package org.flowlab.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flowlab.schedule.Schedule;

/**
 * What a sampler does, step by step, plus classifier-free guidance.
 *
 * @param label for traces and tables, e.g. {@code "teacher@32"}
 * @param steps the Euler steps in order
 * @param guidanceScale CFG weight w: {@code v = v_uncond + w (v_cond - v_uncond)}; 1 turns CFG off
 */
public record SamplingPlan(String label, List<EulerStep> steps, double guidanceScale) {

    /** A run of consecutive steps with one adapter (Glance: slow for 5 steps, then fast for 5). */
    public record Phase(String adapter, int steps) {
        public Phase {
            if (steps < 1) {
                throw new IllegalArgumentException("a phase needs at least one step, got " + steps);
            }
        }
    }

    public SamplingPlan {
        steps = List.copyOf(steps);
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a sampling plan needs at least one step");
        }
        if (!(guidanceScale >= 0) || Double.isInfinite(guidanceScale)) {
            throw new IllegalArgumentException("guidance scale " + guidanceScale + " must be a finite value >= 0");
        }
    }

    /** Every step of the schedule with the model's active adapter. */
    public static SamplingPlan of(Schedule schedule) {
        return of(schedule, null);
    }

    /** Every step of the schedule with one adapter ({@code "base"} = LoRA off). */
    public static SamplingPlan of(Schedule schedule, String adapter) {
        return phases(schedule, List.of(new Phase(adapter, schedule.steps())));
    }

    /** The schedule's steps split into phases whose lengths add up to the step count. */
    public static SamplingPlan phases(Schedule schedule, List<Phase> phases) {
        int total = phases.stream().mapToInt(Phase::steps).sum();
        if (total != schedule.steps()) {
            throw new IllegalArgumentException("the phases cover " + total + " steps but the schedule has "
                    + schedule.steps());
        }
        List<EulerStep> steps = new ArrayList<>();
        int i = 0;
        for (Phase p : phases) {
            for (int k = 0; k < p.steps(); k++, i++) {
                steps.add(new EulerStep(schedule.sigma(i), schedule.sigma(i + 1), p.adapter()));
            }
        }
        return new SamplingPlan(schedule.label(), steps, 1.0);
    }

    public SamplingPlan withGuidance(double scale) {
        return new SamplingPlan(label, steps, scale);
    }

    public SamplingPlan withLabel(String newLabel) {
        return new SamplingPlan(newLabel, steps, guidanceScale);
    }

    public boolean usesGuidance() {
        return guidanceScale != 1.0;
    }

    /** Model evaluations per image: steps, doubled under CFG. */
    public int nfe() {
        return steps.size() * (usesGuidance() ? 2 : 1);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %d steps%s", label, steps.size(),
                usesGuidance() ? String.format(Locale.ROOT, ", CFG %.2f", guidanceScale) : "");
    }
}
