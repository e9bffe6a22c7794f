package org.flowlab.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.flowlab.flow.EulerSampler;
import org.flowlab.flow.Noise;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.lora.Lora;
import org.flowlab.nn.VelocityModel;

/** Something that turns prompts and seeds into images: a sampler over a model, or a stand-in in tests. */
public interface Method {

    String name();

    /** Sampler steps (0 for a stand-in). */
    int steps();

    /** Model evaluations per image. */
    int nfe();

    double loraScale();

    double shift();

    /** (B, C, H, W) images for these prompts, sample i starting from the noise of {@code seeds[i]}. */
    NDArray generate(List<String> prompts, long[] seeds, NDManager manager);

    /**
     * Euler sampling of {@code model} by {@code plan} (adapters named in the plan), at LoRA scale {@code loraScale}.
     */
    static Method sampler(String name, VelocityModel model, SamplingPlan plan, double loraScale, double shift) {
        return new Method() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int steps() {
                return plan.steps().size();
            }

            @Override
            public int nfe() {
                return plan.nfe();
            }

            @Override
            public double loraScale() {
                return loraScale;
            }

            @Override
            public double shift() {
                return shift;
            }

            @Override
            public NDArray generate(List<String> prompts, long[] seeds, NDManager manager) {
                Lora lora = Lora.of(model);
                double before = lora.scale();
                lora.setScale(loraScale);
                try {
                    NDArray noise = Noise.forSeeds(manager, seeds, model.imageShape());
                    return EulerSampler.sample(model, plan, noise, model.condition(prompts, manager)).images();
                } finally {
                    lora.setScale(before);
                }
            }

            @Override
            public String toString() {
                return name + " (" + plan + ")";
            }
        };
    }
}
