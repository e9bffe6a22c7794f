/**
 * Sigma schedules and timestep draws, in plain doubles (no DJL).
 *
 * <p>One time convention: {@code sigma} in [0, 1] is the noise level, {@code x = (1 - sigma) * x0 + sigma * noise};
 * the x1000 "timestep" appears only where a paper or a model wants it. Inference schedules reproduce diffusers'
 * {@code FlowMatchEulerDiscreteScheduler} in float64, quirks included (docs/SPEC-flow.md).
 */
package org.flowlab.schedule;
