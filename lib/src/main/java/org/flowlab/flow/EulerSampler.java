package org.flowlab.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.flowlab.lora.Lora;
import org.flowlab.nn.Conditioning;
import org.flowlab.nn.NoGrad;
import org.flowlab.nn.VelocityModel;
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

    public static SampleResult sample(VelocityModel model, SamplingPlan plan, NDArray noise, Conditioning cond) {
        return sample(model, plan, noise, cond, false, ProgressListener.NONE);
    }

    /**
     * @param noise (B,C,H,W) starting latents; results land in its manager
     * @param keepTrajectory also return the latent after every step
     */
    public static SampleResult sample(VelocityModel model, SamplingPlan plan, NDArray noise, Conditioning cond,
                                      boolean keepTrajectory, ProgressListener listener) {
        long start = System.nanoTime();
        int batch = Math.toIntExact(noise.getShape().get(0));
        List<SampleResult.TraceStep> trace = new ArrayList<>();
        List<NDArray> trajectory = new ArrayList<>();
        Lora lora = Lora.of(model);
        try (NoGrad ignored = NoGrad.enter()) {
            Conditioning uncond = plan.usesGuidance()
                    ? model.condition(Collections.nCopies(batch, ""), guidanceValues(cond), noise.getManager())
                    : null;
            Conditioning both = uncond == null ? cond : cond.concat(uncond);
            NDArray x = noise;
            for (int i = 0; i < plan.steps().size(); i++) {
                Interruption.check("while sampling, before step " + i);
                EulerStep step = plan.steps().get(i);
                NDArray next;
                try (NDScope scope = new NDScope(); Lora.Scope adapter = step.adapter() == null ? () -> { } : lora.useAdapter(step.adapter())) {
                    NDArray v = plan.usesGuidance()
                            ? guided(model, x, step.sigma(), both, batch, plan.guidanceScale())
                            : model.velocity(x, sigmas(x, step.sigma(), batch), cond);
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
            if (uncond != null) {
                uncond.tokens().close();
            }
            NDArray images = x == noise ? noise.duplicate() : (keepTrajectory ? x.duplicate() : x);
            return new SampleResult(images, trace, trajectory, plan.nfe(), (System.nanoTime() - start) / 1e9);
        }
    }

    /** One model call on [cond; uncond], then {@code v_u + w (v_c - v_u)}. */
    private static NDArray guided(VelocityModel model, NDArray x, double sigma, Conditioning both, int batch, double w) {
        NDArray v = model.velocity(NDArrays.concat(new NDList(x, x)), sigmas(x, sigma, 2 * batch), both);
        NDList parts = v.split(2, 0);
        NDArray vc = parts.get(0);
        NDArray vu = parts.get(1);
        return vu.add(vc.sub(vu).mul((float) w));
    }

    private static NDArray sigmas(NDArray like, double sigma, int batch) {
        float[] s = new float[batch];
        java.util.Arrays.fill(s, (float) sigma);
        return org.flowlab.nn.OwnedArrays.create(like.getManager(), s);
    }

    private static float[] guidanceValues(Conditioning cond) {
        return cond.guidance() == null ? null : cond.guidance().toFloatArray();
    }
}
