package org.flowlab.schedule;

/**
 * How a model's sampler spaces its steps, as a function of the step count and a static shift: the one place a
 * {@code DiffusionModel} says "my N-step schedule". Toy and SCFM inference use {@link #SHIFTED_GRID}.
 */
@FunctionalInterface
public interface ScheduleFamily {

    Schedule schedule(int steps, double shift);

    /** {@code linspace(1, 0, n+1)} with a static shift, first point {@code 1 - 1e-5} ({@link ScfmGrid}). */
    ScheduleFamily SHIFTED_GRID = (steps, shift) -> ScfmGrid.schedule(steps, TimeShift.of(shift));
}
