package org.flowlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.toy.DiTConfig;
import org.flowlab.model.Engines;
import org.flowlab.model.Parameter;
import org.flowlab.model.DiffusionModel;
import org.flowlab.toy.ToyModel;
import org.flowlab.progress.Interruption;
import org.flowlab.schedule.CustomTimesteps;
import org.flowlab.schedule.LossWeighting;
import org.flowlab.schedule.TimestepSampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowMatchingTrainerTest {
    @TempDir
    Path dir;

    /**
     * Four solid-colour 8x8 "images", one per caption; the batch picks from them with the step's generator. The
     * caption determines x0, so the ideal velocity is computable and the loss can fall towards 0.
     */
    static TrainingBatch.Source fixedData() {
        List<String> captions = List.of("red", "blue", "green", "cyan");
        float[][] colours = {{1, -1, -1}, {-1, -1, 1}, {-1, 1, -1}, {-1, 1, 1}};
        return (step, size, rng, m) -> {
            float[] pixels = new float[size * 3 * 64];
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                int k = rng.nextInt(4);
                prompts.add(captions.get(k));
                for (int c = 0; c < 3; c++) {
                    java.util.Arrays.fill(pixels, (i * 3 + c) * 64, (i * 3 + c + 1) * 64, colours[k][c] * 0.8f);
                }
            }
            return new TrainingBatch(m.create(pixels, new ai.djl.ndarray.types.Shape(size, 3, 8, 8)), prompts);
        };
    }

    static FlowMatchingTrainer.Config config(TimestepSampler sampler) {
        return FlowMatchingTrainer.Config.builder().batchSize(4).seed(42).sampler(sampler).weighting(LossWeighting.NONE)
                .captionDropout(0.1).optimizer(new OptimizerConfig(1e-3, 0.9, 0.999, 0.01, 1e-8, 1.0, 5, true, 0.1)).build();
    }

    /** Every parameter of both components, as teacher pre-training trains them. */
    static List<Parameter> all(DiffusionModel model) {
        List<Parameter> all = new ArrayList<>(model.textEncoder().parameters().all());
        all.addAll(model.transformer().parameters().all());
        return all;
    }

    @Test
    void lossFallsOnAFixedDataset() {
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                     config(new TimestepSampler.Uniform()))) {
            List<FlowMatchingTrainer.StepResult> r = t.train(300, p -> { });
            double first = r.subList(0, 30).stream().mapToDouble(FlowMatchingTrainer.StepResult::loss).average().orElseThrow();
            double last = r.subList(270, 300).stream().mapToDouble(FlowMatchingTrainer.StepResult::loss).average().orElseThrow();
            assertTrue(last < 0.75 * first, "loss " + first + " -> " + last);
            assertEquals(300, t.step());
            assertEquals(4, r.get(0).sigmas().length);
            assertEquals(4, r.get(0).sampleLosses().length);
        }
    }

    @Test
    void resumeContinuesBitIdentically() throws IOException {
        CustomTimesteps list = CustomTimesteps.parse("900, 600, 300", CustomTimesteps.DrawMode.ROUND_ROBIN);
        float[] straight;
        List<Double> straightLosses = new ArrayList<>();
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                     config(list))) {
            t.train(6, p -> { }).forEach(r -> straightLosses.add(r.loss()));
            straight = model.transformer().parameters().get("transformer_blocks.0.attn.to_q.weight").array().toFloatArray();
        }
        Path ckpt = dir.resolve("ckpt.safetensors");
        List<Double> resumedLosses = new ArrayList<>();
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                     config(CustomTimesteps.parse("900, 600, 300", CustomTimesteps.DrawMode.ROUND_ROBIN)))) {
            t.train(3, p -> { }).forEach(r -> resumedLosses.add(r.loss()));
            t.save(ckpt);
        }
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 99); // other init: the checkpoint must win
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                     config(CustomTimesteps.parse("900, 600, 300", CustomTimesteps.DrawMode.ROUND_ROBIN)))) {
            t.resume(ckpt);
            assertEquals(3, t.step());
            t.train(6, p -> { }).forEach(r -> resumedLosses.add(r.loss()));
            assertArrayEquals(straight, model.transformer().parameters().get("transformer_blocks.0.attn.to_q.weight").array().toFloatArray(), 0f);
        }
        assertEquals(straightLosses, resumedLosses);
    }

    @Test
    void loraTrainingTouchesOnlyTheAdapter() {
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1)) {
            LoraAdapter a = Lora.of(model.transformer()).add(new LoraConfig("slow", 2, 8, TargetSelector.all()), 3);
            float[] base = model.transformer().parameters().get("transformer_blocks.0.ff.net.0.proj.weight").array().toFloatArray();
            try (FlowMatchingTrainer t = new FlowMatchingTrainer(model, List.copyOf(a.parameters().all()), fixedData(),
                    config(new TimestepSampler.Uniform()))) {
                t.train(5, p -> { });
            }
            assertArrayEquals(base, model.transformer().parameters().get("transformer_blocks.0.ff.net.0.proj.weight").array().toFloatArray(), 0f);
            assertTrue(a.pair("proj_out").b().array().abs().sum().getFloat() > 0, "B has moved off zero");
        }
    }

    @Test
    void interruptStopsAtAStepBoundary() {
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                     config(new TimestepSampler.Uniform()))) {
            AtomicReference<float[]> afterStep = new AtomicReference<>();
            AtomicBoolean finishedCalled = new AtomicBoolean();
            Interruption.RunInterruptedException e = assertThrows(Interruption.RunInterruptedException.class,
                    () -> t.train(100, new org.flowlab.progress.ProgressListener() {
                        @Override
                        public void onProgress(org.flowlab.progress.Progress p) {
                            if (p.step() == 4) {
                                afterStep.set(model.transformer().parameters().get("proj_out.weight").array().toFloatArray());
                                Thread.currentThread().interrupt(); // what the kernel's interrupt does
                            }
                        }

                        @Override
                        public void onFinished(org.flowlab.progress.Progress last, Throwable error) {
                            finishedCalled.set(error instanceof Interruption.RunInterruptedException);
                        }
                    }));
            assertTrue(e.getMessage().contains("step 4"), e.getMessage());
            assertEquals(4, t.step());
            assertArrayEquals(afterStep.get(), model.transformer().parameters().get("proj_out.weight").array().toFloatArray(), 0f);
            assertTrue(finishedCalled.get());
            assertFalse(Thread.currentThread().isInterrupted(), "the flag was consumed");
            t.train(6, p -> { }); // and training goes on afterwards
            assertEquals(6, t.step());
        }
    }

    @Test
    void nanLossStopsBeforeAnythingIsApplied() {
        TrainingBatch.Source poisoned = (step, size, rng, m) -> {
            TrainingBatch ok = fixedData().batch(step, size, rng, m);
            return step == 2 ? new TrainingBatch(ok.x0().mul(Float.NaN), ok.prompts()) : ok;
        };
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), poisoned,
                     config(new TimestepSampler.Uniform()))) {
            t.train(2, p -> { });
            float[] good = model.transformer().parameters().get("transformer_blocks.0.attn.to_v.weight").array().toFloatArray();
            AdamW.NonFiniteException e = assertThrows(AdamW.NonFiniteException.class, () -> t.train(5, p -> { }));
            assertTrue(e.getMessage().contains("step 2"), e.getMessage());
            assertArrayEquals(good, model.transformer().parameters().get("transformer_blocks.0.attn.to_v.weight").array().toFloatArray(), 0f);
            assertEquals(2, t.step());
            assertEquals(2, t.optimizer().steps());
        }
    }

    @Test
    void aTrainingThreadSetsItsOwnGradMode() throws Exception {
        AtomicReference<Boolean> gradModeAfter = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
                 FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                         config(new TimestepSampler.Uniform()))) {
                t.train(2, p -> { });
                gradModeAfter.set(JniUtils.isGradMode());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        worker.start();
        worker.join();
        assertEquals(null, failure.get());
        assertEquals(Boolean.FALSE, gradModeAfter.get(), "DJL leaves grad mode on in new threads; the trainer turns it off");
    }

    @Test
    void checkpointForAnotherRunIsRefused() throws IOException {
        Path ckpt = dir.resolve("lora.safetensors");
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1)) {
            LoraAdapter a = Lora.of(model.transformer()).add(new LoraConfig("x", 2, 2, TargetSelector.all()), 3);
            try (FlowMatchingTrainer t = new FlowMatchingTrainer(model, List.copyOf(a.parameters().all()), fixedData(),
                    config(new TimestepSampler.Uniform()))) {
                t.train(1, p -> { });
                t.save(ckpt);
            }
        }
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                     config(new TimestepSampler.Uniform()))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.resume(ckpt));
            assertTrue(e.getMessage().contains("does not fit this run"), e.getMessage());
        }
        assertTrue(Files.exists(ckpt));
    }

    @Test
    void learningRateSchedules() {
        OptimizerConfig c = new OptimizerConfig(1.0, 0.9, 0.999, 0, 1e-8, 0, 10, false, 0);
        assertEquals(0.1, c.lrAt(0, 60), 1e-12);
        assertEquals(1.0, c.lrAt(9, 60), 1e-12);
        assertEquals(1.0, c.lrAt(59, 60), 1e-12);
        OptimizerConfig cos = new OptimizerConfig(1.0, 0.9, 0.999, 0, 1e-8, 0, 0, true, 0.1);
        assertEquals(1.0, cos.lrAt(0, 101), 1e-12);
        assertEquals(0.55, cos.lrAt(50, 101), 1e-12);
        assertEquals(0.1, cos.lrAt(100, 101), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> c.withLr(-1));
    }

    /** AdamW on one scalar against PyTorch's update written out by hand. */
    @Test
    void adamWMatchesTheFormula() {
        Engines.prepareThread();
        Engine engine = Engines.get();
        try (NDManager m = engine.newBaseManager()) {
            Parameter p = new Parameter("w", m.create(new float[] {2f}));
            p.setTrainable(true);
            OptimizerConfig c = new OptimizerConfig(0.1, 0.9, 0.99, 0.05, 1e-8, 0, 0, false, 0);
            try (AdamW opt = new AdamW(List.of(p), c, m)) {
                double w = 2;
                double mm = 0;
                double vv = 0;
                for (int t = 1; t <= 3; t++) {
                    opt.zeroGradients();
                    try (var gc = engine.newGradientCollector()) {
                        gc.backward(p.array().square().mul(1.5f)); // grad = 3 w
                    }
                    double g = 3 * w;
                    opt.step(0.1);
                    w *= 1 - 0.1 * 0.05;
                    mm = 0.9 * mm + 0.1 * g;
                    vv = 0.99 * vv + 0.01 * g * g;
                    w -= 0.1 / (1 - Math.pow(0.9, t)) * mm / (Math.sqrt(vv) / Math.sqrt(1 - Math.pow(0.99, t)) + 1e-8);
                    assertEquals(w, p.array().getFloat(0), 1e-5, "step " + t);
                }
            }
        }
    }

    /**
     * 2000 steps of a small model: live NDArrays must not grow, and neither may the resident memory (a leak of even
     * one small array per step would show as thousands of arrays). Arrays are counted in the system manager, which
     * owns every manager Flowlab creates. Resident memory moves by tens of MB with GC and malloc timing, so the test
     * reads it every 100 steps and bounds the robust (Theil-Sen) slope: a leak of one step's activations (~100 kB
     * here) is a slope of ~100 kB per step, flat memory ~0.
     */
    @Test
    void memoryStaysFlatOver2000Steps() throws IOException {
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             FlowMatchingTrainer t = new FlowMatchingTrainer(model, all(model), fixedData(),
                     config(new TimestepSampler.Uniform()))) {
            NDManager system = Engines.get().newBaseManager().getParentManager();
            t.train(200, p -> { });
            int arraysBefore = system.getManagedArrays().size();
            double[] steps = new double[21];
            double[] rssKb = new double[21];
            for (int k = 0; k <= 20; k++) {
                t.train(200 + 100L * k, p -> { });
                steps[k] = 200 + 100 * k;
                rssKb[k] = nativeKb();
            }
            int arraysAfter = system.getManagedArrays().size();
            assertTrue(arraysAfter <= arraysBefore + 2, "live NDArrays " + arraysBefore + " -> " + arraysAfter);
            double slope = theilSenSlope(steps, rssKb);
            assertTrue(slope < 25, "resident memory grows " + Math.round(slope) + " kB per step: "
                    + Arrays.toString(rssKb));
        }
    }

    /** The median of the slopes between all pairs of points: one outlier cannot move it. */
    static double theilSenSlope(double[] x, double[] y) {
        List<Double> slopes = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            for (int j = i + 1; j < x.length; j++) {
                slopes.add((y[j] - y[i]) / (x[j] - x[i]));
            }
        }
        Collections.sort(slopes);
        int n = slopes.size();
        return n % 2 == 1 ? slopes.get(n / 2) : (slopes.get(n / 2 - 1) + slopes.get(n / 2)) / 2;
    }

    @Test
    void theilSenIgnoresOneOutlier() {
        double[] x = {0, 1, 2, 3, 4, 5, 6};
        double[] y = {1, 3, 5, 7, 9, 11, 1000};
        assertEquals(2.0, theilSenSlope(x, y), 1e-12);
    }

    /**
     * Resident memory. The test JVM runs with a fixed, pre-touched heap (see the surefire argLine), so growth here
     * is native memory: libtorch tensors and direct buffers.
     */
    static long nativeKb() throws IOException {
        System.gc();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
