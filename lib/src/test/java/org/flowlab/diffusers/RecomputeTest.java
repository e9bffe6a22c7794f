package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.flowlab.io.SafeTensors;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Parameter;
import org.junit.jupiter.api.Test;

/** Block-wise recomputation gives the gradients of the plain backward pass (tiny Flux, a LoRA on every Linear). */
class RecomputeTest {

    @Test
    void recomputedGradientsEqualPlainBackward() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents in = SafeTensors.read(FluxParityTest.DIR.resolve("inputs.safetensors"));
        SafeTensors.Contents target = SafeTensors.read(FluxParityTest.DIR.resolve("outputs_lora.safetensors"));
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(FluxParityTest.DIR, null, Device.cpu(), 8, 12);
             NDManager m = model.manager().newSubManager()) {
            LoraAdapter a = student(model, m);
            NDArray hidden = in.tensor("set0.hidden_states").toNDArray(m);
            NDArray text = in.tensor("set0.encoder_hidden_states").toNDArray(m);
            NDArray pooled = in.tensor("set0.pooled_projections").toNDArray(m);
            NDArray t = in.tensor("set0.timestep").toNDArray(m);
            NDArray g = in.tensor("set0.guidance").toNDArray(m);
            float[][] img = FluxParityTest.rows(in.tensor("set0.img_ids"));
            float[][] txt = FluxParityTest.rows(in.tensor("set0.txt_ids"));
            NDArray goal = target.tensor("set0.sample").toNDArray(m);
            UnaryOperator<NDArray> loss = out -> out.sub(goal).square().mean();

            float plainLoss;
            try (GradientCollector gc = Engines.get().newGradientCollector()) {
                NDArray l = loss.apply(model.forward(hidden, text, pooled, t, img, txt, g));
                plainLoss = l.getFloat();
                gc.backward(l);
            }
            Map<String, float[]> plain = grads(a);
            zero(a);
            float recomputedLoss = model.backwardRecomputed(hidden, text, pooled, t, img, txt, g, loss);
            Map<String, float[]> recomputed = grads(a);

            assertEquals(plainLoss, recomputedLoss, 1e-7);
            double worst = 0;
            double largest = 0;
            for (String name : plain.keySet()) {
                float[] p = plain.get(name);
                float[] r = recomputed.get(name);
                for (int i = 0; i < p.length; i++) {
                    worst = Math.max(worst, Math.abs(p[i] - r[i]));
                    largest = Math.max(largest, Math.abs(p[i]));
                }
            }
            System.out.printf(java.util.Locale.ROOT, "recomputed vs plain gradients: max abs difference %.3g (largest %.3g)%n",
                    worst, largest);
            assertTrue(largest > 1e-3, "the gradients are not trivially zero: " + largest);
            assertTrue(worst < 1e-5, "max abs difference " + worst);
        }
    }

    /** Glance training and an SCFM step with recomputation switched on: the same LoRA as without, to 1e-5. */
    @Test
    void trainersRecomputeWhenTheModelIsSwitchedToIt() throws IOException {
        Engines.prepareThread();
        float[] image = new float[4 * 8 * 12];
        java.util.Arrays.fill(image, 0.2f);
        Map<String, float[]> trained = new LinkedHashMap<>();
        for (boolean recompute : new boolean[] {false, true}) {
            try (org.flowlab.model.DiffusionModel flux = DiffusersMethodsTest.tinyFlux()) {
                ((FluxTransformer2DModel) flux.transformer()).setRecompute(recompute);
                var r = org.flowlab.glance.Glance.train(flux, image, "a photo",
                        org.flowlab.schedule.GlanceLists.derive(org.flowlab.schedule.SchedulePreset.FLUX_DEV, 1024, 1024),
                        org.flowlab.glance.Glance.Config.builder().steps(3).rank(2).guidance(1.0).build(), null);
                for (Parameter p : r.fast().parameters().all()) {
                    float[] v = p.array().toFloatArray();
                    float[] before = trained.putIfAbsent(p.name(), v);
                    if (before != null) {
                        for (int i = 0; i < v.length; i++) {
                            assertEquals(before[i], v[i], 1e-5, p.name());
                        }
                    }
                }
            }
        }
        assertTrue(trained.size() > 0);
    }

    /**
     * With the frozen base in fp16 (norms and LoRA branches cast to fp32 and back), every LoRA parameter gets the
     * gradient the fp32 model gives it. DJL's own toType would cut the graph at each cast (Ops.cast).
     */
    @Test
    void fp16ComputeGivesEveryLoraParameterTheFp32Gradient() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents in = SafeTensors.read(FluxParityTest.DIR.resolve("inputs.safetensors"));
        Map<String, Map<String, float[]>> byType = new LinkedHashMap<>();
        for (ai.djl.ndarray.types.DataType dtype : new ai.djl.ndarray.types.DataType[] {
            ai.djl.ndarray.types.DataType.FLOAT32, ai.djl.ndarray.types.DataType.FLOAT16}) {
            try (FluxTransformer2DModel model = FluxTransformer2DModel.load(FluxParityTest.DIR, null, Device.cpu(), 8, 12,
                    dtype); NDManager m = model.manager().newSubManager()) {
                LoraAdapter a = student(model, m);
                try (GradientCollector gc = Engines.get().newGradientCollector()) {
                    NDArray out = model.forward(in.tensor("set0.hidden_states").toNDArray(m),
                            in.tensor("set0.encoder_hidden_states").toNDArray(m),
                            in.tensor("set0.pooled_projections").toNDArray(m), in.tensor("set0.timestep").toNDArray(m),
                            FluxParityTest.rows(in.tensor("set0.img_ids")), FluxParityTest.rows(in.tensor("set0.txt_ids")),
                            in.tensor("set0.guidance").toNDArray(m));
                    gc.backward(org.flowlab.model.Ops.cast(out, ai.djl.ndarray.types.DataType.FLOAT32).square().mean());
                }
                byType.put(dtype.toString(), grads(a));
            }
        }
        Map<String, float[]> f32 = byType.get("float32");
        Map<String, float[]> f16 = byType.get("float16");
        for (String name : f32.keySet()) {
            float[] want = f32.get(name);
            float[] got = f16.get(name);
            double worst = 0;
            double largest = 0;
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(want[i] - got[i]));
                largest = Math.max(largest, Math.abs(want[i]));
            }
            assertTrue(largest == 0 || worst <= 0.05 * largest + 1e-6,
                    name + ": fp16 gradient off by " + worst + " (largest " + largest + ")");
            if (name.startsWith("transformer_blocks.0.") && name.endsWith("lora_A.weight")) {
                assertTrue(largest > 0, name + ": the first block's LoRA gets a gradient");
            }
        }
    }

    /** A rank-2 LoRA on every Linear with seeded non-zero B (so the LoRA changes the output), made active. */
    static LoraAdapter student(FluxTransformer2DModel model, NDManager m) {
        LoraAdapter a = Lora.of(model).add(new LoraConfig("student", 2, 2, TargetSelector.all()), 4);
        try (NoGrad ng = NoGrad.enter()) {
            for (Parameter p : a.parameters().all()) {
                if (p.name().endsWith("lora_B.weight")) {
                    p.copyFrom(org.flowlab.flow.Noise.gaussian(m, new java.util.SplittableRandom(p.name().hashCode()),
                            p.shape()).mul(0.05f));
                }
            }
        }
        Lora.of(model).activate("student");
        return a;
    }

    static Map<String, float[]> grads(LoraAdapter a) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameter p : a.parameters().all()) {
            out.put(p.name(), p.array().getGradient().toFloatArray());
        }
        return out;
    }

    static void zero(LoraAdapter a) {
        try (NoGrad ng = NoGrad.enter()) {
            for (Parameter p : a.parameters().all()) {
                NDArray grad = p.array().getGradient();
                grad.subi(grad);
            }
        }
    }
}
