package org.flowlab.schedule;

/** How a scheduler shifts its sigmas: one static shift, or a dynamic one that needs {@code mu} at call time. */
public enum ShiftMode {
    /** {@code shift(s, x)} with the configured {@code s}. */
    STATIC,
    /** {@code tshift(mu, x)} with {@code mu} given per call (diffusers: dynamic, exponential). */
    EXPONENTIAL,
    /** {@code mu / (mu + (1/x - 1))} with {@code mu} given per call (diffusers: dynamic, linear). */
    LINEAR;

    public boolean isDynamic() {
        return this != STATIC;
    }
}
