package org.flowlab.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.flowlab.lora.Lora;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.NoGrad;
import org.flowlab.model.PromptEncoder;
import org.flowlab.progress.ProgressListener;

/**
 * Text to image through a {@link DiffusionModel}, the one sampling loop behind {@code flowlab sample},
 * {@code glance sample}, the teacher cache, methods and comparisons: encode the prompts once, draw each sample's
 * noise from its seed, Euler by the plan on latents, decode to pixels.
 *
 * <p>Nothing model-wide changes: the LoRA scale and the adapters are scopes of the calling thread, so a notebook can
 * sample while a background run trains on the same model.
 */
public final class Pipeline {
    private Pipeline() {
    }

    /**
     * How one call samples.
     *
     * @param plan the Euler steps, their adapters and the CFG weight
     * @param loraScale {@code lora_scale} of every adapter the plan uses (0 = base)
     * @param guidance the guidance-embedding value for a model that takes one; NaN = the model's default
     */
    public record Request(SamplingPlan plan, double loraScale, double guidance) {
        public Request {
            if (!Double.isFinite(loraScale)) {
                throw new IllegalArgumentException("LoRA scale " + loraScale + " is not a finite number");
            }
            if (Double.isInfinite(guidance)) {
                throw new IllegalArgumentException("guidance " + guidance + " is not a finite number");
            }
        }

        public Request(SamplingPlan plan, double loraScale) {
            this(plan, loraScale, Double.NaN);
        }

        public static Request of(SamplingPlan plan) {
            return new Request(plan, 1.0);
        }
    }

    /** Pixels (B, C, H, W): sample i from prompt i and the noise of {@code seeds[i]}. */
    public static NDArray images(DiffusionModel model, Request request, List<String> prompts, long[] seeds,
                                 NDManager manager) {
        try (NoGrad ng = NoGrad.enter()) {
            return model.codec().decode(latents(model, request, prompts, seeds, manager, ProgressListener.NONE).images());
        }
    }

    /** The latents the plan ends at (before decoding), with the per-step trace. */
    public static SampleResult latents(DiffusionModel model, Request request, List<String> prompts, long[] seeds,
                                       NDManager manager, ProgressListener listener) {
        try (Lora.Scope text = Lora.of(model.textEncoder()).useAdapter(textAdapter(model, request.plan()),
                request.loraScale())) {
            return latents(model, request, prompts, seeds, manager, listener, model.textEncoder());
        }
    }

    /**
     * The same with the prompts' conditioning from {@code encoder}, a cache of the base text encoder's outputs for
     * example (then no text-encoder LoRA applies, and the text encoder need not be loaded).
     */
    public static SampleResult latents(DiffusionModel model, Request request, List<String> prompts, long[] seeds,
                                       NDManager manager, ProgressListener listener, PromptEncoder encoder) {
        if (prompts.size() != seeds.length) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + seeds.length + " seeds");
        }
        SamplingPlan plan = request.plan();
        boolean guided = model.transformer().takesGuidance();
        if (!guided && !Double.isNaN(request.guidance())) {
            throw new IllegalArgumentException("guidance " + request.guidance() + " was given, but this model has no"
                    + " guidance input (" + model.name() + "); leave it out, or use classifier-free guidance (--cfg)");
        }
        double g = Double.isNaN(request.guidance()) ? model.defaults().guidance() : request.guidance();
        try (NoGrad ng = NoGrad.enter();
             Lora.Scope scale = Lora.of(model.transformer()).withScale(request.loraScale())) {
            Conditioning cond;
            Conditioning uncond = null;
            if (plan.usesGuidance()) {
                // conditional and empty prompts in one encoder call: the rows come out as one batch of 2B
                List<String> both = new ArrayList<>(prompts);
                both.addAll(Collections.nCopies(prompts.size(), ""));
                Conditioning all = encoder.encode(both, manager);
                all = guided ? all.withGuidance(g, manager) : all;
                int n = prompts.size();
                cond = all.select(range(0, n));
                uncond = all.select(range(n, 2 * n));
            } else {
                cond = encoder.encode(prompts, manager);
                cond = guided ? cond.withGuidance(g, manager) : cond;
            }
            NDArray noise = Noise.forSeeds(manager, seeds, model.latentShape());
            return EulerSampler.sample(model.transformer(), plan, noise, cond, uncond, false, listener);
        }
    }

    /**
     * The text encoder's adapter for a plan: the plan's one adapter when the LoRA file carried a text-encoder part of
     * that name, else the base text encoder (a multi-phase plan conditions every phase alike).
     */
    static String textAdapter(DiffusionModel model, SamplingPlan plan) {
        Set<String> named = new LinkedHashSet<>();
        for (EulerStep s : plan.steps()) {
            named.add(s.adapter() == null ? Lora.of(model.transformer()).active() : s.adapter());
        }
        String only = named.size() == 1 ? named.iterator().next() : Lora.BASE;
        return Lora.of(model.textEncoder()).has(only) ? only : Lora.BASE;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
