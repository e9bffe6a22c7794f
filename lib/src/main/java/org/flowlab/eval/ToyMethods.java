package org.flowlab.eval;

import org.flowlab.data.ToyWorld;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.glance.Glance;
import org.flowlab.lora.Lora;
import org.flowlab.nn.VelocityModel;
import org.flowlab.scfm.Scfm;
import org.flowlab.schedule.GlanceLists;

/** The methods the toy comparisons line up, all on the same noise seeds. */
public final class ToyMethods {
    private ToyMethods() {
    }

    /** The teacher (LoRA off), plain Euler on the toy schedule. */
    public static Method teacher(VelocityModel model, int steps, double shift) {
        return Method.sampler("teacher@" + steps + (shift == ToyWorld.DEFAULT_SHIFT ? "" : " s" + shift), model,
                SamplingPlan.of(ToyWorld.schedule(steps, shift), Lora.BASE), 0, shift);
    }

    /** The 32-step teacher every fidelity is measured against. */
    public static Method reference(VelocityModel model) {
        return teacher(model, ToyWorld.REFERENCE_STEPS, ToyWorld.DEFAULT_SHIFT);
    }

    /** The SCFM student (adapter {@code "student"}) with standard Euler at {@code steps} steps. */
    public static Method scfm(VelocityModel model, int steps, double shift, double loraScale) {
        return Method.sampler("scfm@" + steps + (loraScale == 1.0 ? "" : " x" + loraScale), model,
                Scfm.inferencePlan(steps, shift), loraScale, shift);
    }

    /** Glance's two-phase sampler (adapters {@code "slow"} and {@code "fast"}). */
    public static Method glance(VelocityModel model, GlanceLists lists) {
        return Method.sampler("glance@" + lists.inferenceSchedule().steps(), model, Glance.plan(lists), 1.0, Double.NaN);
    }

    /** The base model at Glance's ten sigmas, LoRA off: what the LoRAs are supposed to improve on. */
    public static Method baseAtGlanceSigmas(VelocityModel model, GlanceLists lists) {
        return Method.sampler("base@glance-sigmas", model, SamplingPlan.of(lists.inferenceSchedule(), Lora.BASE), 0,
                Double.NaN);
    }
}
