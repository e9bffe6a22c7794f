package org.flowlab.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;
import org.flowlab.lora.Lora;
import org.flowlab.model.Conditioning;
import org.flowlab.model.NoGrad;
import org.flowlab.model.FlowModel;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;

/**
 * Euler integration of {@code dx/dsigma = v(x, sigma)} from noise (sigma near 1) to data (sigma 0), step by step as a
 * {@link SamplingPlan} says: {@code x <- x + (sigma_next - sigma) v}. Runs without autograd; checks for interruption
 * between steps.
 */
public final class EulerSampler {
    private EulerSampler() {
    }

    public static SampleResult sample(FlowModel model, SamplingPlan plan, NDArray noise, Conditioning cond) {
        return sample(model, plan, noise, cond, null, false, ProgressListener.NONE);
    }

    /**
     * @param noise (B,C,H,W) starting latents; results land in its manager
     * @param uncond the unconditional rows for classifier-free guidance (needed when the plan guides, else null)
     * @param keepTrajectory also return the latent after every step
     */
    public static SampleResult sample(FlowModel model, SamplingPlan plan, NDArray noise, Conditioning cond,
                                      Conditioning uncond, boolean keepTrajectory, ProgressListener listener) {
        long start = System.nanoTime();
        int batch = Math.toIntExact(noise.getShape().get(0));
        if (cond.batchSize() != batch) {
            throw new IllegalArgumentException(batch + " noise samples but " + cond.batchSize() + " conditioning rows");
        }
        if (plan.usesGuidance() && uncond == null) {
            throw new IllegalArgumentException(plan + " uses classifier-free guidance: pass the unconditional"
                    + " conditioning (the text encoder's empty prompt)");
        }
        List<SampleResult.TraceStep> trace = new ArrayList<>();
        List<NDArray> trajectory = new ArrayList<>();
        Lora lora = Lora.of(model);
        try (NoGrad ignored = NoGrad.enter()) {
            NDArray x = noise;
            for (int i = 0; i < plan.steps().size(); i++) {
                Interruption.check("while sampling, before step " + i);
                EulerStep step = plan.steps().get(i);
                NDArray next;
                try (NDScope scope = new NDScope(); Lora.Scope adapter = step.adapter() == null ? () -> { } : lora.useAdapter(step.adapter())) {
                    NDArray v = Guidance.velocity(model, x, sigmas(x, step.sigma(), batch), cond, uncond,
                            plan.guidanceScale());
                    next = Flow.eulerStep(x, v, step.sigma(), step.sigmaNext());
                    NDScope.unregister(next);
                    scope.suppressNotUsedWarning();
                }
                if (x != noise && !keepTrajectory) {
                    x.close();
                }
                x = next;
                if (keepTrajectory) {
                    trajectory.add(x);
                }
                trace.add(new SampleResult.TraceStep(i, step.sigma(), step.sigmaNext(),
                        step.adapter() == null ? lora.active() : step.adapter()));
                ProgressListener.notify(listener, Progress.of("sample " + plan.label(), i + 1, plan.steps().size(),
                        (System.nanoTime() - start) / 1e9));
            }
            NDArray images = x == noise ? noise.duplicate() : (keepTrajectory ? x.duplicate() : x);
            return new SampleResult(images, trace, trajectory, plan.nfe(), (System.nanoTime() - start) / 1e9);
        }
    }

    private static NDArray sigmas(NDArray like, double sigma, int batch) {
        float[] s = new float[batch];
        java.util.Arrays.fill(s, (float) sigma);
        return org.flowlab.model.OwnedArrays.create(like.getManager(), s);
    }
}
