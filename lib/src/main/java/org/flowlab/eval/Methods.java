package org.flowlab.eval;

import org.flowlab.flow.SamplingPlan;
import org.flowlab.glance.Glance;
import org.flowlab.lora.Lora;
import org.flowlab.model.DiffusionModel;
import org.flowlab.scfm.Scfm;
import org.flowlab.schedule.GlanceLists;

/** The methods comparisons line up, on any {@link DiffusionModel}, all on the same noise seeds. */
public final class Methods {
    private Methods() {
    }

    /** The base model (LoRA off), plain Euler on the model's schedule at {@code shift}. */
    public static Method teacher(DiffusionModel model, int steps, double shift) {
        return Method.sampler("teacher@" + steps + (shift == model.defaults().shift() ? "" : " s" + shift), model,
                SamplingPlan.of(model.schedule(steps, shift), Lora.BASE).withGuidance(model.defaults().cfg()), 0, shift);
    }

    /** The base model at the default shift. */
    public static Method teacher(DiffusionModel model, int steps) {
        return teacher(model, steps, model.defaults().shift());
    }

    /** The reference every fidelity is measured against: the base at the model's reference step count. */
    public static Method reference(DiffusionModel model) {
        return teacher(model, model.defaults().steps());
    }

    /** The SCFM student (adapter {@code "student"}) with standard Euler at {@code steps} steps. */
    public static Method scfm(DiffusionModel model, int steps, double shift, double loraScale) {
        return Method.sampler("scfm@" + steps + (loraScale == 1.0 ? "" : " x" + loraScale), model,
                Scfm.inferencePlan(model, steps, shift), loraScale, shift);
    }

    /**
     * The hybrid: SCFM per Glance phase, two students (adapters {@code slowAdapter} and {@code fastAdapter}), each
     * distilled on its side of {@link Scfm#phaseSplit}, switched after {@code slowSteps} of {@code steps} steps.
     */
    public static Method scfmPhased(DiffusionModel model, int steps, double shift, int slowSteps, String slowAdapter,
                                    String fastAdapter) {
        return Method.sampler("scfm-phased@" + steps, model,
                Scfm.phasedInferencePlan(model, steps, shift, slowSteps, slowAdapter, fastAdapter), 1.0, shift);
    }

    /** Glance's two-phase sampler (adapters {@code "slow"} and {@code "fast"}). */
    public static Method glance(DiffusionModel model, GlanceLists lists) {
        return Method.sampler("glance@" + lists.inferenceSchedule().steps(), model,
                Glance.plan(lists).withGuidance(model.defaults().cfg()), 1.0, Double.NaN);
    }

    /** The base model at Glance's ten sigmas, LoRA off: what the LoRAs are supposed to improve on. */
    public static Method baseAtGlanceSigmas(DiffusionModel model, GlanceLists lists) {
        return Method.sampler("base@glance-sigmas", model,
                SamplingPlan.of(lists.inferenceSchedule(), Lora.BASE).withGuidance(model.defaults().cfg()), 0, Double.NaN);
    }
}
