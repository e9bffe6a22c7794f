package org.flowlab.scfm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flowlab.TestModels;
import org.flowlab.toy.ToyWorld;
import org.flowlab.lora.Lora;
import org.flowlab.lora.WeightSet;
import org.flowlab.eval.Method;
import org.flowlab.eval.Methods;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.toy.DiTConfig;
import org.flowlab.train.AdamW;
import org.flowlab.train.BackgroundRun;
import org.flowlab.train.TrainingLoop;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScfmTest {
    static final DiTConfig TINY = new DiTConfig(3, 16, 8, 16, 1, 2, 2, 8, 1, 2, 16, false, false);

    @TempDir
    static Path dir;
    static Path cacheDir;

    @BeforeAll
    static void pregenerate() throws IOException {
        cacheDir = dir.resolve("cache");
        try (DiffusionModel teacher = TestModels.awake(TINY, 1)) {
            List<String> prompts = ToyWorld.heldInPrompts(6, 1).stream().map(a -> a.caption()).toList();
            TeacherCache.pregenerate(teacher, prompts, 2, 100, new TeacherCache.Settings(4, 1.0, 1.0), cacheDir, p -> { });
        }
    }

    static ScfmConfig config() {
        return ScfmConfig.official().toBuilder().lora(4, 4).lr(5e-3).seed(3).build();
    }

    /** Velocity of one sample under the current LoRA choice. */
    static float[] velocity(DiffusionModel model, float[] x, double sigma, String prompt) {
        try (NoGrad ng = NoGrad.enter(); NDManager m = model.transformer().manager().newSubManager()) {
            long[] s = model.latentShape();
            NDArray xs = OwnedArrays.create(m, x, new Shape(1, s[0], s[1], s[2]));
            return model.transformer().velocity(xs, OwnedArrays.create(m, new float[] {(float) sigma}),
                    model.encode(List.of(prompt), m)).toFloatArray();
        }
    }

    @Test
    void cacheHoldsNoiseEndpointsAndHashes() throws IOException {
        TeacherCache cache = TeacherCache.open(cacheDir);
        assertEquals(12, cache.size());
        assertEquals(3 * 16 * 16, cache.endpoint(0).length);
        assertArrayEquals(new long[] {3, 16, 16}, cache.latentShape());
        assertEquals(100, cache.entries().get(0).seed());
        assertEquals(64, cache.entries().get(0).sha256().length());
        // resumable: running pre-generation again regenerates nothing and changes nothing
        try (DiffusionModel teacher = TestModels.awake(TINY, 1)) {
            long before = Files.getLastModifiedTime(cacheDir.resolve(cache.entries().get(3).file())).toMillis();
            List<String> prompts = ToyWorld.heldInPrompts(6, 1).stream().map(a -> a.caption()).toList();
            TeacherCache again = TeacherCache.pregenerate(teacher, prompts, 2, 100, new TeacherCache.Settings(4, 1.0, 1.0),
                    cacheDir, p -> { });
            assertEquals(before, Files.getLastModifiedTime(cacheDir.resolve(cache.entries().get(3).file())).toMillis());
            assertArrayEquals(cache.endpoint(5), again.endpoint(5), 0f);
        }
    }

    /** The model's text encoder, counting its calls. */
    static final class CountingText implements org.flowlab.model.TextEncoder {
        final org.flowlab.model.TextEncoder inner;
        int calls;

        CountingText(org.flowlab.model.TextEncoder inner) {
            this.inner = inner;
        }

        @Override
        public org.flowlab.model.Conditioning encode(List<String> prompts, NDManager manager) {
            calls++;
            return inner.encode(prompts, manager);
        }

        @Override
        public NDManager manager() {
            return inner.manager();
        }

        @Override
        public org.flowlab.model.NamedParameters parameters() {
            return inner.parameters();
        }

        @Override
        public java.util.Map<String, org.flowlab.model.LinearLayer> linears() {
            return inner.linears();
        }

        @Override
        public String describe() {
            return inner.describe();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static DiffusionModel counting(DiffusionModel m, CountingText text) {
        return new DiffusionModel(m.name(), m.transformer(), text, m.codec(), m.schedules(), m.defaults(), m.metadata());
    }

    @Test
    void pregenCachesEachPromptsConditioningAndASecondRunEncodesNothing() throws IOException {
        Path own = dir.resolve("cache-embeddings");
        List<String> prompts = ToyWorld.heldInPrompts(3, 4).stream().map(a -> a.caption()).toList();
        try (DiffusionModel base = TestModels.awake(TINY, 1)) {
            CountingText text = new CountingText(base.textEncoder());
            DiffusionModel teacher = counting(base, text);
            TeacherCache cache = TeacherCache.pregenerate(teacher, prompts, 2, 7, new TeacherCache.Settings(3, 1.0, 1.0),
                    own, p -> { });
            assertTrue(text.calls > 0);
            org.flowlab.cache.PromptCache conditioning = cache.conditioningBy(teacher.textEncoder());
            assertNotNull(conditioning, "the cache holds the teacher encoder's conditioning");
            try (var files = Files.list(conditioning.directory())) {
                assertEquals(prompts.size() + 1, files.count(), "one file per distinct prompt, and the empty prompt");
            }
            try (NDManager m = base.transformer().manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
                NDArray cached = conditioning.encode(List.of(prompts.get(1)), m).tensors().values().iterator().next();
                NDArray fresh = base.textEncoder().encode(List.of(prompts.get(1)), m).tensors().values().iterator().next();
                assertTrue(cached.sub(fresh).abs().max().getFloat() < 1e-5, "the cache holds the encoder's output");
            }
            text.calls = 0;
            TeacherCache.pregenerate(teacher, prompts, 2, 7, new TeacherCache.Settings(3, 1.0, 1.0), own, p -> { });
            assertEquals(0, text.calls, "a second pregen on the same prompts encodes nothing (and samples nothing)");

            // training with the teacher's own base model reads the cache; another model's encoder does not
            try (Scfm scfm = new Scfm(teacher, TeacherCache.open(own), config())) {
                assertTrue(scfm.usesCachedConditioning());
                text.calls = 0;
                scfm.step();
                scfm.step();
                assertEquals(0, text.calls, "training runs no text encoder");
            }
        }
        try (DiffusionModel other = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(other, TeacherCache.open(own), config())) {
            assertTrue(!scfm.usesCachedConditioning(), "a cache made by another text encoder is not used");
        }
    }

    @Test
    void stepTraceAlgebraAndGuides() throws IOException {
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir),
                config().toBuilder().nonShortcutRatio(0.25).build())) {
            for (int i = 0; i < 4; i++) {
                scfm.step(); // the EMAs move off zero and apart
            }
            Lora lora = Lora.of(model.transformer());
            try (WeightSet fastBefore = copy(scfm.fastEma().weights(), scfm); WeightSet slowBefore = copy(scfm.slowEma().weights(), scfm);
                 StepTrace t = scfm.traceStep(); Lora.Scope own = lora.useAdapter(Scfm.STUDENT)) {
                assertTrue(fastBefore.distance(slowBefore) > 0, "fast and slow EMA differ");
                int b = t.batchSize();
                int teachers = 0;
                int selfs = 0;
                for (int i = 0; i < b; i++) {
                    Draw d = t.draws().get(i);
                    float[] xt = t.sample(t.xT(), i);
                    float[] v1 = t.sample(t.v1(), i);
                    float[] xm = t.sample(t.xMid(), i);
                    float[] v2 = t.sample(t.v2(), i);
                    float[] xe = t.sample(t.xEnd(), i);
                    float[] tg = t.sample(t.target(), i);
                    if (d.kind() == Draw.Kind.NON_SHORTCUT) {
                        assertTrue(i < 2, "the first ceil(8 * 0.25) = 2 samples");
                        float[] n = t.sample(t.noise(), i);
                        float[] x0 = t.sample(t.x0(), i);
                        for (int p = 0; p < tg.length; p++) {
                            assertEquals(n[p] - x0[p], tg[p], 1e-6, "plain target");
                        }
                        continue;
                    }
                    for (int p = 0; p < xt.length; p++) {
                        assertEquals(xt[p] - d.d0() * v1[p], xm[p], 1e-4, "x' = x_t - d0 v1");
                        assertEquals(xm[p] - d.d1() * v2[p], xe[p], 1e-4, "x'' = x' - d1 v2");
                        assertEquals((xt[p] - xe[p]) / d.segment(), tg[p], 1e-3, "target = (x_t - x'') / D");
                    }
                    String prompt = t.prompts().get(i);
                    float[] expectedV1;
                    if (d.kind() == Draw.Kind.TEACHER) {
                        teachers++;
                        try (Lora.Scope s = lora.useBase()) {
                            expectedV1 = velocity(model, xt, d.sigma(), prompt);
                        }
                    } else {
                        selfs++;
                        try (Lora.Scope s = lora.use(fastBefore)) {
                            expectedV1 = velocity(model, xt, d.sigma(), prompt);
                        }
                    }
                    assertArrayEquals(expectedV1, v1, 2e-3f, d.kind() + " v1");
                    float[] expectedV2;
                    try (Lora.Scope s = lora.use(slowBefore)) {
                        expectedV2 = velocity(model, xm, d.grid()[d.j() + 1], prompt);
                    }
                    assertArrayEquals(expectedV2, v2, 2e-3f, "v2 is always the slow EMA's");
                }
                assertTrue(teachers + selfs == 6, teachers + " teacher + " + selfs + " self");
                assertTrue(t.ema() != null && t.ema().norms().containsKey("fast"));
            }
        }
    }

    static WeightSet copy(WeightSet w, Scfm scfm) {
        WeightSet c = WeightSet.copyOf(scfm.student(), w.name() + "-copy");
        c.copyFrom(w);
        return c;
    }

    @Test
    void emasStartAtZeroAndFollowTheStudent() throws IOException {
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), config())) {
            assertEquals(0, scfm.fastEma().weights().norm(), 0);
            assertEquals(0, scfm.slowEma().weights().norm(), 0);
            scfm.step();
            double student = WeightSet.view(scfm.student()).norm();
            // after one update from zero: fast = 0.01 theta, slow = 0.001 theta
            assertEquals(0.01 * student, scfm.fastEma().weights().norm(), 1e-6 * student + 1e-9);
            assertEquals(0.001 * student, scfm.slowEma().weights().norm(), 1e-6 * student + 1e-9);
        }
    }

    @Test
    void knobChangesTakeEffectNextStepAndAreLogged() throws Exception {
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), config())) {
            scfm.step();
            scfm.setTeacherRatio(1.0);
            scfm.setTSkip(4);
            assertEquals(0.4, scfm.config().teacherRatio(), "not before the next step");
            try (StepTrace t = scfm.traceStep()) {
                assertEquals(1.0, scfm.config().teacherRatio());
                assertTrue(t.draws().stream().allMatch(d -> d.kind() == Draw.Kind.TEACHER && d.j() % 4 == 0));
            }
            var changes = scfm.changes();
            assertEquals(2, changes.rowCount());
            assertEquals(1L, changes.longColumn("step").get(0));
            assertEquals("teacher_ratio", changes.stringColumn("knob").get(0));
            assertThrows(IllegalArgumentException.class, () -> scfm.setTeacherRatio(2));
            assertThrows(IllegalArgumentException.class, () -> scfm.setTSkip(3));
            assertThrows(IllegalArgumentException.class, () -> scfm.setTSkip(64));

            // a background run: pause, change a knob, resume, stop; the log records which step saw which value
            BackgroundRun<Scfm> run = scfm.start(1000, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
            while (scfm.logRows().size() < 2) {
                Thread.sleep(20);
            }
            run.pause();
            scfm.setTeacherRatio(0.0);
            int before = scfm.logRows().size();
            run.resume();
            while (scfm.logRows().size() < before + 2) {
                Thread.sleep(20);
            }
            run.stop();
            assertTrue(!run.isRunning());
            assertTrue(run.error() instanceof org.flowlab.progress.Interruption.RunInterruptedException, String.valueOf(run.error()));
            var log = scfm.log();
            assertTrue(log.rowCount() > 0);
            long changedAt = scfm.changes().longColumn("step").get(2);
            for (int r = 0; r < log.rowCount(); r++) {
                double expected = log.longColumn("step").get(r) < changedAt ? 1.0 : 0.0;
                assertEquals(expected, log.doubleColumn("teacher_ratio").get(r), "row " + r);
            }
        }
    }

    /** Every value a run's outcome is made of: the student, both EMAs (each entry), in order. */
    static List<float[]> weights(Scfm scfm) {
        List<float[]> out = new java.util.ArrayList<>();
        for (var p : scfm.student().parameters().all()) {
            out.add(p.array().toFloatArray());
            out.add(scfm.fastEma().weights().get(p.name()).toFloatArray());
            out.add(scfm.slowEma().weights().get(p.name()).toFloatArray());
        }
        return out;
    }

    static void assertSameWeights(List<float[]> expected, List<float[]> actual, String what) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), 0f, what + " (array " + i + ")");
        }
    }

    @Test
    void resumeGivesBitIdenticalLoraAndBothEmas() throws IOException {
        Path ckpt = dir.resolve("scfm.ckpt");
        ScfmConfig c = config().toBuilder().emaRestartEvery(3).build(); // a restart falls after the resume point
        List<float[]> straight;
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), c)) {
            scfm.train(5, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
            straight = weights(scfm);
        }
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), c)) {
            scfm.setTeacherRatio(0.6); // a knob turned before the checkpoint travels with it (as JSON)
            scfm.train(2, p -> { }, 0, new TrainingLoop.Checkpoints(ckpt, 0));
        }
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), c)) {
            scfm.resume(ckpt);
            assertEquals(2, scfm.stepsDone());
            assertEquals(0.6, scfm.config().teacherRatio(), 0, "knob restored");
            scfm.setTeacherRatio(c.teacherRatio());
            scfm.train(5, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
            List<float[]> resumed = weights(scfm);
            assertTrue(resumed.stream().anyMatch(a -> java.util.Arrays.stream(toDoubles(a)).anyMatch(v -> v != 0)));
            // the straight run had teacher_ratio 0.4 throughout; the resumed one 0.6 for two steps: compare with that
            try (DiffusionModel m2 = TestModels.awake(TINY, 2); Scfm ref = new Scfm(m2, TeacherCache.open(cacheDir), c)) {
                ref.setTeacherRatio(0.6);
                ref.train(2, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
                ref.setTeacherRatio(c.teacherRatio());
                ref.train(5, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
                assertSameWeights(weights(ref), resumed, "stopped at 2 and resumed = uninterrupted");
            }
        }
        // and without any knob change: resumed = straight
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), c)) {
            scfm.train(2, p -> { }, 0, new TrainingLoop.Checkpoints(ckpt, 0));
        }
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), c)) {
            scfm.resume(ckpt);
            scfm.train(5, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
            assertSameWeights(straight, weights(scfm), "stopped at 2 and resumed = uninterrupted");
        }
    }

    static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Test
    void samplingBesideABackgroundRunLeavesItsResultsAlone() throws Exception {
        List<float[]> alone;
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), config())) {
            scfm.start(6, p -> { }, 0, TrainingLoop.Checkpoints.NONE).await();
            alone = weights(scfm);
        }
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), config())) {
            // a notebook samples the student at another LoRA scale, and the base, while the run trains
            Method student = Methods.scfm(model, 3, 3.0, 1.7);
            Method base = Methods.teacher(model, 4);
            BackgroundRun<Scfm> run = scfm.start(6, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
            int samples = 0;
            while (run.isRunning() || samples < 2) {
                try (NDManager m = model.transformer().manager().newSubManager()) {
                    student.generate(List.of("a red circle", "a blue square"), new long[] {samples, 1}, m).toFloatArray();
                    base.generate(List.of("a red circle"), new long[] {samples}, m).toFloatArray();
                }
                samples++;
            }
            run.await();
            assertTrue(samples >= 2, "sampled while training");
            assertEquals(1.0, Lora.of(model.transformer()).scale(), 0, "the model-wide scale was never touched");
            assertSameWeights(alone, weights(scfm), "a run with sampling beside it = a run without");
        }
    }

    @Test
    void aCacheOfAnotherLatentShapeIsRefused() throws IOException {
        DiTConfig other = new DiTConfig(3, 8, 4, 16, 1, 2, 2, 8, 1, 2, 16, false, false);
        TeacherCache cache = TeacherCache.open(cacheDir);
        try (DiffusionModel model = TestModels.awake(other, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Scfm(model, cache, config()));
            assertTrue(e.getMessage().contains("3x16x16") && e.getMessage().contains("3x8x8"), e.getMessage());
        }
    }

    @Test
    void nanLossStopsTheRunAndKeepsTheLastCheckpoint() throws IOException {
        Path ckpt = dir.resolve("nan.ckpt");
        try (DiffusionModel model = TestModels.awake(TINY, 2); Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), config())) {
            scfm.train(2, p -> { }, 0, new TrainingLoop.Checkpoints(ckpt, 1));
            byte[] good = Files.readAllBytes(ckpt);
            // poison the model: every forward now returns NaN
            model.transformer().parameters().get("proj_out.bias").copyFrom(
                    model.transformer().manager().full(new Shape(3 * 8 * 8), Float.NaN));
            AdamW.NonFiniteException e = assertThrows(AdamW.NonFiniteException.class,
                    () -> scfm.train(5, p -> { }, 0, new TrainingLoop.Checkpoints(ckpt, 1)));
            assertTrue(e.getMessage().contains("step 2"), e.getMessage());
            assertArrayEquals(good, Files.readAllBytes(ckpt), "the last good checkpoint is untouched");
            assertEquals(2, scfm.stepsDone());
        }
    }

    @Test
    void brokenCachesAreNamed() throws IOException {
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken);
        for (var e : TeacherCache.open(cacheDir).entries()) {
            Files.copy(cacheDir.resolve(e.file()), broken.resolve(e.file()));
        }
        Files.copy(cacheDir.resolve(TeacherCache.MANIFEST), broken.resolve(TeacherCache.MANIFEST));
        String victim = TeacherCache.open(cacheDir).entries().get(4).file();
        byte[] bytes = Files.readAllBytes(broken.resolve(victim));
        bytes[bytes.length - 3] ^= 0x11;
        Files.write(broken.resolve(victim), bytes);
        IllegalArgumentException corrupted = assertThrows(IllegalArgumentException.class, () -> TeacherCache.open(broken));
        assertTrue(corrupted.getMessage().contains(victim), corrupted.getMessage());
        Files.delete(broken.resolve(victim));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> TeacherCache.open(broken));
        assertTrue(missing.getMessage().contains("missing " + victim), missing.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> TeacherCache.open(dir.resolve("nowhere")));
        assertTrue(none.getMessage().contains("manifest.json"), none.getMessage());
    }

    @Test
    void aPhasedStudentIsExportedWithItsPhaseAndSampledOnItsSideOfTheSplit() throws IOException {
        try (DiffusionModel model = TestModels.awake(TINY, 2)) {
            double split = Scfm.phaseSplit(model, 3, 3.0, 2);
            var plan = Scfm.phasedInferencePlan(model, 3, 3.0, 2, "early", "late");
            assertEquals(List.of("early", "early", "late"), plan.steps().stream().map(s -> s.adapter()).toList());
            assertEquals(split, plan.steps().get(2).sigma(), 0);
            assertEquals(split, plan.steps().get(1).sigmaNext(), 0);
            // the toy's schedule at shift 3: sigma(t) = 3t / (1 + 2t) at t = 1/3
            assertEquals(0.6, split, 1e-6);
            assertThrows(IllegalArgumentException.class, () -> Scfm.phasedInferencePlan(model, 3, 3.0, 3, "a", "b"));
            try (Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir),
                    config().toBuilder().phase(ScfmConfig.Phase.slow(split)).build())) {
                scfm.train(2, p -> { }, 0, TrainingLoop.Checkpoints.NONE);
                Path file = dir.resolve("slow-student.safetensors");
                scfm.exportStudent(file, 3, 3.0, 1.0);
                assertEquals("1.0," + split, org.flowlab.io.LoraFiles.read(file).metadata().get("flowlab.phase"));
            }
        }
    }

    @Test
    void passesPerStepAreCountedByWhoRuns() throws IOException {
        try (DiffusionModel model = TestModels.awake(TINY, 2)) {
            int b = 4;
            // all teacher-guided, t_skip 2: per sample one teacher sub-step, one slow-EMA sub-step, one student pass
            try (Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), config().toBuilder().batchSize(b).teacherRatio(1).build())) {
                var before = org.flowlab.lora.PassCounter.snapshot();
                scfm.step();
                assertEquals(java.util.Map.of("base", (long) b, "student", (long) b, "student (other weights)", (long) b),
                        org.flowlab.lora.PassCounter.since(before));
            }
            // all self-guided with t_skip 4: two fast-EMA and two slow-EMA sub-steps per sample, no teacher
            try (Scfm scfm = new Scfm(model, TeacherCache.open(cacheDir), config().toBuilder().batchSize(b).teacherRatio(0)
                    .tSkip(4).build())) {
                var before = org.flowlab.lora.PassCounter.snapshot();
                scfm.step();
                assertEquals(java.util.Map.of("student", (long) b, "student (other weights)", 4L * b),
                        org.flowlab.lora.PassCounter.since(before));
            }
        }
    }
}
