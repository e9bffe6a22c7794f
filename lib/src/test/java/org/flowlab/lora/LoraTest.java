package org.flowlab.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.flowlab.flow.Noise;
import org.flowlab.nn.Conditioning;
import org.flowlab.nn.DiTConfig;
import org.flowlab.nn.Engines;
import org.flowlab.nn.NoGrad;
import org.flowlab.nn.Parameter;
import org.flowlab.nn.ToyDiT;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoraTest {
    ToyDiT model;
    NDManager m;
    NDArray x;
    NDArray sigma;
    Conditioning cond;

    @BeforeEach
    void setUp() {
        Engines.prepareThread();
        model = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 3);
        m = Engines.get().newBaseManager();
        // give the zero-initialised output layers values, so LoRA anywhere changes the output
        randomize(model.parameters().get("proj_out.weight"), 11);
        randomize(model.parameters().get("norm_out.linear.weight"), 12);
        randomize(model.parameters().get("blocks.0.norm1.linear.weight"), 13);
        x = Noise.forSeeds(m, new long[] {1, 2}, model.imageShape());
        sigma = m.create(new float[] {0.3f, 0.8f});
        cond = model.condition(List.of("a red circle", "a blue square"), m);
    }

    @AfterEach
    void tearDown() {
        m.close();
        model.close();
    }

    static void randomize(Parameter p, long seed) {
        org.flowlab.TestModels.randomize(p, seed);
    }

    float[] forward() {
        try (NoGrad ng = NoGrad.enter()) {
            return model.velocity(x, sigma, cond).toFloatArray();
        }
    }

    LoraAdapter addStudent(String name) {
        return Lora.of(model).add(new LoraConfig(name, 4, 4, TargetSelector.all()), 9);
    }

    @Test
    void freshAdapterReproducesTheBaseExactly() {
        float[] base = forward();
        LoraAdapter a = addStudent("student");
        assertEquals(model.linears().size() * 2, a.parameters().size(), "A and B on every Linear");
        assertArrayEquals(base, forward(), 0f, "B = 0");
    }

    @Test
    void scaleZeroIsTheBaseAndScaleMatters() {
        float[] base = forward();
        LoraAdapter a = addStudent("student");
        a.parameters().all().forEach(p -> randomize(p, p.name().hashCode()));
        float[] adapted = forward();
        assertTrue(maxDiff(base, adapted) > 1e-4, "a trained adapter changes the output");
        Lora.of(model).setScale(0);
        assertArrayEquals(base, forward(), 0f, "scale 0");
        Lora.of(model).setScale(1);
        try (Lora.Scope s = Lora.of(model).useBase()) {
            assertArrayEquals(base, forward(), 0f, "useBase()");
        }
        assertArrayEquals(adapted, forward(), 0f, "scope restored");
    }

    @Test
    void mergedMatchesUnmerged() {
        LoraAdapter a = addStudent("student");
        a.parameters().all().forEach(p -> randomize(p, p.name().hashCode() + 1));
        Lora lora = Lora.of(model);
        lora.setScale(1.5);
        float[] unmerged = forward();
        float[] baseWeight = model.parameters().get("blocks.0.attn.to_q.weight").array().toFloatArray();
        lora.merge();
        assertTrue(maxDiff(unmerged, forward()) < 1e-5, "merged vs unmerged: " + maxDiff(unmerged, forward()));
        assertThrows(IllegalStateException.class, () -> lora.setScale(1));
        lora.unmerge();
        assertTrue(maxDiff(baseWeight, model.parameters().get("blocks.0.attn.to_q.weight").array().toFloatArray()) < 1e-6);
        assertTrue(maxDiff(unmerged, forward()) < 1e-6);
    }

    @Test
    void onlyLoraParametersReceiveGradients() {
        LoraAdapter a = addStudent("student");
        Engine engine = Engines.get();
        try (GradientCollector gc = engine.newGradientCollector()) {
            NDArray loss = model.velocity(x, sigma, cond).square().mean();
            gc.backward(loss);
        }
        for (Parameter p : model.parameters().all()) {
            assertFalse(p.array().hasGradient(), p.name() + " is frozen and must get no gradient");
        }
        double bGrad = 0;
        for (String module : a.modules()) {
            assertTrue(a.pair(module).a().array().hasGradient());
            bGrad += a.pair(module).b().array().getGradient().abs().sum().getFloat();
        }
        assertTrue(bGrad > 0, "B receives a gradient");
    }

    @Test
    void overridesSwapWeightSetsWithoutTouchingTheStudent() {
        float[] base = forward();
        LoraAdapter a = addStudent("student");
        a.parameters().all().forEach(p -> randomize(p, p.name().hashCode() + 2));
        float[] student = forward();
        float[][] before = a.parameters().all().stream().map(p -> p.array().toFloatArray()).toArray(float[][]::new);
        Lora lora = Lora.of(model);
        try (WeightSet zero = WeightSet.zerosLike(a, "zero"); WeightSet copy = WeightSet.copyOf(a, "copy")) {
            try (Lora.Scope s = lora.use(zero)) {
                assertArrayEquals(base, forward(), 0f, "zero set = the base");
            }
            copy.arrays().values().forEach(arr -> arr.muli(0.5f));
            float[] half;
            try (Lora.Scope s = lora.use(copy)) {
                half = forward();
            }
            assertTrue(maxDiff(half, student) > 1e-5 && maxDiff(half, base) > 1e-5);
        }
        assertArrayEquals(student, forward(), 0f);
        float[][] after = a.parameters().all().stream().map(p -> p.array().toFloatArray()).toArray(float[][]::new);
        for (int i = 0; i < before.length; i++) {
            assertArrayEquals(before[i], after[i], 0f, "student bit-identical");
        }
    }

    @Test
    void twoAdaptersOneActive() {
        Lora lora = Lora.of(model);
        LoraAdapter slow = lora.add(new LoraConfig("slow", 2, 8, TargetSelector.suffix("to_q", "to_v")), 1);
        LoraAdapter fast = lora.add(new LoraConfig("fast", 2, 8, TargetSelector.regex("blocks\\.0\\..*")), 2);
        assertEquals("slow", lora.active());
        assertEquals(List.of("text_encoder.layers.0.attn.to_q", "text_encoder.layers.0.attn.to_v", "blocks.0.attn.to_q",
                "blocks.0.attn.to_v"), slow.modules());
        assertTrue(fast.modules().contains("blocks.0.ff.fc1") && !fast.modules().contains("proj_out"));
        slow.parameters().all().forEach(p -> randomize(p, 21));
        fast.parameters().all().forEach(p -> randomize(p, 22));
        float[] withSlow = forward();
        lora.activate("fast");
        float[] withFast = forward();
        try (Lora.Scope s = lora.useAdapter("slow")) {
            assertArrayEquals(withSlow, forward(), 0f);
        }
        assertArrayEquals(withFast, forward(), 0f);
        assertTrue(maxDiff(withSlow, withFast) > 1e-5);
        assertThrows(IllegalArgumentException.class, () -> lora.activate("medium"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lora.add(new LoraConfig("x", 2, 2, TargetSelector.exact("nope")), 1));
        assertTrue(e.getMessage().contains("match no Linear"), e.getMessage());
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
