package org.flowlab.model;

import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.ScheduleFamily;

/**
 * A whole text-to-image flow model: the {@link FlowModel} transformer, its {@link TextEncoder}, its
 * {@link LatentCodec} and how it samples. Methods, samplers, caches, evaluation, the CLI and notebooks take one of
 * these and never a concrete model class.
 *
 * @param name what it is, for tables and files ({@code "toy"}, a checkpoint folder's name)
 * @param transformer the velocity network (LoRA's usual target: component {@code transformer})
 * @param textEncoder prompts to conditioning (component {@code text_encoder})
 * @param codec pixels to latents and back
 * @param schedules the sampler's N-step schedule at a static shift
 * @param defaults the model family's inference settings
 * @param metadata provenance (file, command, seed)
 */
public record DiffusionModel(String name, FlowModel transformer, TextEncoder textEncoder, LatentCodec codec,
                             ScheduleFamily schedules, Defaults defaults, Map<String, String> metadata)
        implements AutoCloseable {

    /** LoRA file prefixes of the two trainable components, as diffusers writes them. */
    public static final String TRANSFORMER = "transformer";
    public static final String TEXT_ENCODER = "text_encoder";
    /** Metadata key: the diffusers pipeline class a checkpoint folder was loaded as ({@code FluxPipeline}). */
    public static final String PIPELINE = "pipeline";
    public static final String FLUX_PIPELINE = "FluxPipeline";
    public static final String SD3_PIPELINE = "StableDiffusion3Pipeline";

    /**
     * Inference settings of a model family.
     *
     * @param steps the reference step count (fidelity is measured against it)
     * @param shift the static schedule shift
     * @param cfg classifier-free guidance weight (1 = off)
     * @param guidance the guidance-embedding value for models that take one (Flux-dev: 3.5), else NaN
     */
    public record Defaults(int steps, double shift, double cfg, double guidance) {
        public Defaults {
            if (!(cfg >= 0) || Double.isInfinite(cfg)) {
                throw new IllegalArgumentException("classifier-free guidance weight " + cfg + " must be 0 or more"
                        + " (1 is off)");
            }
        }

        public Defaults withCfg(double newCfg) {
            return new Defaults(steps, shift, newCfg, guidance);
        }
    }

    public DiffusionModel {
        metadata = Map.copyOf(metadata);
        if (!java.util.Arrays.equals(transformer.latentShape(), codec.latentShape())) {
            throw new IllegalArgumentException("the transformer takes " + Shapes.text(transformer.latentShape())
                    + " latents but the codec makes " + Shapes.text(codec.latentShape()));
        }
        if (transformer.takesGuidance() == Double.isNaN(defaults.guidance())) {
            throw new IllegalArgumentException(transformer.takesGuidance()
                    ? "the transformer takes a guidance value: give the defaults one"
                    : "the defaults give a guidance value " + defaults.guidance() + " but the transformer has no guidance input");
        }
    }

    /** The same components sampled with other settings; close one of the two, not both (they share the components). */
    public DiffusionModel withDefaults(Defaults newDefaults) {
        return new DiffusionModel(name, transformer, textEncoder, codec, schedules, newDefaults, metadata);
    }

    /** Whether this model was loaded from a diffusers folder of this pipeline class (per-family recipes ask). */
    public boolean isPipeline(String pipelineClass) {
        return pipelineClass.equals(metadata.get(PIPELINE));
    }

    /** The trainable components by LoRA file prefix. */
    public Map<String, Component> components() {
        Map<String, Component> m = new LinkedHashMap<>();
        m.put(TRANSFORMER, transformer);
        m.put(TEXT_ENCODER, textEncoder);
        return m;
    }

    /** Conditioning for these prompts (with the default guidance value when the transformer takes one). */
    public Conditioning encode(List<String> prompts, NDManager manager) {
        Conditioning c = textEncoder.encode(prompts, manager);
        return transformer.takesGuidance() ? c.withGuidance(defaults.guidance(), manager) : c;
    }

    /** The sampler's schedule at {@code steps} steps and {@code shift}. */
    public Schedule schedule(int steps, double shift) {
        return schedules.schedule(steps, shift);
    }

    /** The schedule at the default shift. */
    public Schedule schedule(int steps) {
        return schedule(steps, defaults.shift());
    }

    public long[] latentShape() {
        return transformer.latentShape();
    }

    public long[] pixelShape() {
        return codec.pixelShape();
    }

    public String describe() {
        return name + ": " + transformer.describe() + "; " + textEncoder.describe() + "; " + codec;
    }

    @Override
    public String toString() {
        return describe();
    }

    /** Frees the transformer, the text encoder and a codec that holds weights (a VAE). */
    @Override
    public void close() {
        transformer.close();
        textEncoder.close();
        if (codec instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the codec failed: " + e.getMessage(), e);
            }
        }
    }
}
