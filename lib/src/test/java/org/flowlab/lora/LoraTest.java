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
import org.flowlab.model.Conditioning;
import org.flowlab.toy.DiTConfig;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Parameter;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.FlowModel;
import org.flowlab.toy.ToyModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoraTest {
    DiffusionModel toy;
    FlowModel model;
    NDManager m;
    NDArray x;
    NDArray sigma;
    Conditioning cond;

    @BeforeEach
    void setUp() {
        Engines.prepareThread();
        toy = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 3);
        model = toy.transformer();
        m = Engines.get().newBaseManager();
        // give the zero-initialised output layers values, so LoRA anywhere changes the output
        randomize(model.parameters().get("proj_out.weight"), 11);
        randomize(model.parameters().get("norm_out.linear.weight"), 12);
        randomize(model.parameters().get("transformer_blocks.0.norm1.linear.weight"), 13);
        x = Noise.forSeeds(m, new long[] {1, 2}, model.latentShape());
        sigma = m.create(new float[] {0.3f, 0.8f});
        try (NoGrad ng = NoGrad.enter()) {
            cond = toy.encode(List.of("a red circle", "a blue square"), m);
        }
    }

    @AfterEach
    void tearDown() {
        m.close();
        toy.close();
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
        float[] baseWeight = model.parameters().get("transformer_blocks.0.attn.to_q.weight").array().toFloatArray();
        lora.merge();
        assertTrue(maxDiff(unmerged, forward()) < 1e-5, "merged vs unmerged: " + maxDiff(unmerged, forward()));
        assertThrows(IllegalStateException.class, () -> lora.setScale(1));
        lora.unmerge();
        assertTrue(maxDiff(baseWeight, model.parameters().get("transformer_blocks.0.attn.to_q.weight").array().toFloatArray()) < 1e-6);
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
    void anEmaOfOneAdapterRunsAsThatAdapterWhicheverElseIsActive() {
        LoraAdapter student = addStudent("student");
        student.parameters().all().forEach(p -> randomize(p, p.name().hashCode() + 5));
        Lora lora = Lora.of(model);
        lora.activate("student");
        float[] own = forward();
        // another adapter of another rank and alpha becomes the model-wide active one (Glance's, in a notebook)
        lora.add(new LoraConfig("other", 2, 8, TargetSelector.all()), 9).parameters().all()
                .forEach(p -> randomize(p, p.name().hashCode() + 6));
        lora.activate("other");
        try (WeightSet copy = WeightSet.copyOf(student, "ema");
             Lora.Scope named = lora.use("student", copy)) {
            assertArrayEquals(own, forward(), 1e-6f, "the copy runs with the student's rank and alpha");
            assertEquals("student (other weights)", lora.using());
        }
        try (WeightSet copy = WeightSet.copyOf(student, "ema"); Lora.Scope pick = lora.useAdapter("student");
             Lora.Scope inner = lora.use(copy)) {
            assertArrayEquals(own, forward(), 1e-6f, "an unnamed override takes the enclosing scope's adapter");
        }
        assertEquals("other", lora.using());
    }

    @Test
    void twoAdaptersOneActive() {
        Lora lora = Lora.of(model);
        LoraAdapter slow = lora.add(new LoraConfig("slow", 2, 8, TargetSelector.suffix("to_q", "to_v")), 1);
        LoraAdapter fast = lora.add(new LoraConfig("fast", 2, 8, TargetSelector.regex("transformer_blocks\\.0\\..*")), 2);
        assertEquals("slow", lora.active());
        assertEquals(List.of("transformer_blocks.0.attn.to_q", "transformer_blocks.0.attn.to_v"), slow.modules());
        assertTrue(fast.modules().contains("transformer_blocks.0.ff.net.0.proj") && !fast.modules().contains("proj_out"));
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

    @Test
    void aScopedScaleLeavesTheModelWideScaleAndOtherThreadsAlone() throws Exception {
        float[] base = forward();
        LoraAdapter a = addStudent("student");
        a.parameters().all().forEach(p -> randomize(p, p.name().hashCode() + 3));
        Lora lora = Lora.of(model);
        float[] atOne = forward();
        float[] atTwo;
        try (Lora.Scope s = lora.withScale(2.0)) {
            atTwo = forward();
            // meanwhile another thread sees the model-wide scale 1
            float[][] other = new float[1][];
            Thread t = new Thread(() -> {
                Engines.prepareThread();
                other[0] = forward();
            });
            t.start();
            t.join();
            assertArrayEquals(atOne, other[0], 0f, "another thread is not affected by this thread's scope");
            try (Lora.Scope inner = lora.useAdapter("student")) {
                assertArrayEquals(atTwo, forward(), 0f, "a nested adapter scope keeps the enclosing scale");
            }
            try (Lora.Scope inner = lora.useAdapter("student", 0.0)) {
                assertArrayEquals(base, forward(), 0f, "scale 0 = the base");
            }
        }
        assertEquals(1.0, lora.scale(), 0, "the model-wide scale never changed");
        assertTrue(maxDiff(atOne, atTwo) > 1e-5);
        assertArrayEquals(atOne, forward(), 0f);
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
