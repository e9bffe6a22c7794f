package org.flowlab.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.flowlab.model.Conditioning;
import org.flowlab.model.Engines;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.FlowModel;
import org.flowlab.schedule.SchedulePreset;
import org.junit.jupiter.api.Test;

/**
 * Euler on a velocity field with a closed-form flow: data x0 ~ N(mu, s^2) per element, noise N(0, 1). The
 * marginal velocity is {@code v = -mu + (sigma - (1-sigma) s^2) / var(sigma) * (x - (1-sigma) mu)} with
 * {@code var = (1-sigma)^2 s^2 + sigma^2}, and the exact flow takes noise z at sigma 1 to {@code mu + s z}.
 */
class EulerSamplerTest {
    static final float MU = 0.7f;
    static final float S = 0.3f;

    /** The analytic field as a FlowModel (it ignores the conditioning). */
    static final class GaussianFlow implements FlowModel {
        final NDManager manager = Engines.get().newBaseManager();
        int calls;

        @Override
        public NDArray velocity(NDArray x, NDArray sigma, Conditioning c) {
            calls++;
            float sg = sigma.getFloat(0);
            float var = (1 - sg) * (1 - sg) * S * S + sg * sg;
            float k = (sg - (1 - sg) * S * S) / var;
            return x.sub((1 - sg) * MU).mul(k).sub(MU);
        }

        Conditioning condition(List<String> prompts, NDManager m) {
            return Conditioning.of(prompts, Map.of("unused", m.zeros(new ai.djl.ndarray.types.Shape(prompts.size(), 1))));
        }

        @Override
        public long[] latentShape() {
            return new long[] {1, 16, 16};
        }

        @Override
        public boolean takesGuidance() {
            return false;
        }

        @Override
        public NDManager manager() {
            return manager;
        }

        @Override
        public NamedParameters parameters() {
            return new NamedParameters();
        }

        @Override
        public Map<String, LinearLayer> linears() {
            return Map.of();
        }

        @Override
        public String describe() {
            return "analytic Gaussian flow";
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    @Test
    void errorShrinksAtFirstOrderAsStepsDouble() {
        try (GaussianFlow model = new GaussianFlow(); NDManager m = NDManager.newBaseManager()) {
            NDArray z = Noise.forSeeds(m, new long[] {1, 2, 3, 4}, model.latentShape());
            NDArray exact = z.mul(S).add(MU);
            Conditioning cond = model.condition(List.of("", "", "", ""), m);
            double[] errors = new double[5];
            int[] steps = {4, 8, 16, 32, 64};
            for (int i = 0; i < steps.length; i++) {
                model.calls = 0;
                SampleResult r = EulerSampler.sample(model, SamplingPlan.of(SchedulePreset.LINEAR.schedule(steps[i])), z, cond);
                errors[i] = r.images().sub(exact).abs().max().getFloat();
                assertEquals(steps[i], model.calls, "one model call per step");
                assertEquals(steps[i], r.nfe());
                assertEquals(steps[i], r.trace().size());
            }
            for (int i = 1; i < steps.length; i++) {
                double ratio = errors[i - 1] / errors[i];
                assertTrue(ratio > 1.6 && ratio < 2.4, "first order: error ratio " + ratio + " at " + steps[i]
                        + " steps (errors " + java.util.Arrays.toString(errors) + ")");
            }
            assertTrue(errors[4] < errors[0] / 10, "64 steps land 16x closer than 4: " + java.util.Arrays.toString(errors));
        }
    }

    @Test
    void guidanceOfOneChangesNothingAndTraceFollowsThePlan() {
        try (GaussianFlow model = new GaussianFlow(); NDManager m = NDManager.newBaseManager()) {
            NDArray z = Noise.forSeeds(m, new long[] {5}, model.latentShape());
            Conditioning cond = model.condition(List.of("p"), m);
            var schedule = SchedulePreset.SD3.schedule(6);
            SamplingPlan plan = SamplingPlan.phases(schedule, List.of(new SamplingPlan.Phase("base", 2),
                    new SamplingPlan.Phase("base", 4)));
            SampleResult plain = EulerSampler.sample(model, plan, z, cond);
            model.calls = 0;
            SampleResult guided = EulerSampler.sample(model, plan.withGuidance(2.0), z, cond, model.condition(List.of(""), m),
                    false, null);
            // the analytic field ignores the prompt, so v_u + w (v_c - v_u) = v for any w
            assertEquals(0f, plain.images().sub(guided.images()).abs().max().getFloat(), 1e-6f);
            assertEquals(6, model.calls, "CFG runs conditional and unconditional in one call");
            assertEquals(12, guided.nfe());
            for (int i = 0; i < 6; i++) {
                assertEquals(schedule.sigma(i), plain.trace().get(i).sigma(), 0);
                assertEquals(schedule.sigma(i + 1), plain.trace().get(i).sigmaNext(), 0);
            }
        }
    }
}
