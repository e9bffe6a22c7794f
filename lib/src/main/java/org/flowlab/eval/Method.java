package org.flowlab.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.model.DiffusionModel;

/** Something that turns prompts and seeds into images: a sampler over a model, or a stand-in in tests. */
public interface Method {

    String name();

    /** Sampler steps (0 for a stand-in). */
    int steps();

    /** Model evaluations per image. */
    int nfe();

    double loraScale();

    double shift();

    /** (B, C, H, W) images (pixels) for these prompts, sample i starting from the noise of {@code seeds[i]}. */
    NDArray generate(List<String> prompts, long[] seeds, NDManager manager);

    /**
     * Euler sampling of {@code model} by {@code plan} (adapters named in the plan), at LoRA scale {@code loraScale}
     * (a per-call scale: the model's own setting is left alone).
     */
    static Method sampler(String name, DiffusionModel model, SamplingPlan plan, double loraScale, double shift) {
        Pipeline.Request request = new Pipeline.Request(plan, loraScale);
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
                return Pipeline.images(model, request, prompts, seeds, manager);
            }

            @Override
            public String toString() {
                return name + " (" + plan + ")";
            }
        };
    }
}
