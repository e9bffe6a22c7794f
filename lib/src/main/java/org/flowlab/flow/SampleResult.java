package org.flowlab.flow;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Locale;

/**
 * What a sampler returns.
 *
 * @param images the final latents (B,C,H,W), in the manager of the noise they started from
 * @param trace one entry per Euler step: what was evaluated and with which adapter
 * @param trajectory the latent after each step when asked for (else empty)
 * @param nfe model evaluations per image
 * @param seconds wall time of the whole loop
 */
public record SampleResult(NDArray images, List<TraceStep> trace, List<NDArray> trajectory, int nfe, double seconds) {

    /** One step as it ran. */
    public record TraceStep(int index, double sigma, double sigmaNext, String adapter) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "{\"index\": %d, \"sigma\": %s, \"sigma_next\": %s, \"adapter\": \"%s\"}",
                    index, sigma, sigmaNext, adapter);
        }
    }

    public SampleResult {
        trace = List.copyOf(trace);
        trajectory = List.copyOf(trajectory);
    }
}
