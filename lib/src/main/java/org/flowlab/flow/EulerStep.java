package org.flowlab.flow;

/**
 * One Euler step: the model is evaluated at {@code sigma}, the latent moves by {@code (sigmaNext - sigma) v}.
 *
 * @param adapter the LoRA adapter for this step: a name, {@code "base"} for LoRA off, or null for whatever the
 *     model has active
 */
public record EulerStep(double sigma, double sigmaNext, String adapter) {
    public EulerStep {
        if (!Double.isFinite(sigma) || !Double.isFinite(sigmaNext)) {
            throw new IllegalArgumentException("step from sigma " + sigma + " to " + sigmaNext + " is not finite");
        }
    }
}
