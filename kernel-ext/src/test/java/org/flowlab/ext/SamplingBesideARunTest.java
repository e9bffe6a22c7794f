package org.flowlab.ext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.flowlab.kernel.KernelAccess;
import org.junit.jupiter.api.Test;

/**
 * In the kernel: a background SCFM run trains while later cells sample the same model (another LoRA scale, the
 * base); the run ends with exactly the weights of a run that nobody sampled beside.
 */
class SamplingBesideARunTest {

    @Test
    void cellsThatSampleDoNotChangeWhatTheRunComputes() {
        KernelAccess.Ran setUp = KernelAccess.run("""
                var besideModel = ToyTeacher.load(Engines.device("cpu"));
                var besideCache = TeacherCache.pregenerate(besideModel, List.of("a red circle", "a blue square on a black background"),
                        2, 0, new TeacherCache.Settings(4, 1.0, 1.0), Files.createTempDirectory("beside"), null);
                var besideConfig = ScfmConfig.official().toBuilder().lora(2, 2).batchSize(2).lr(1e-3).seed(5).build();
                java.util.function.Function<Scfm, List<float[]>> besideWeights = s -> s.student().parameters().all().stream()
                        .flatMap(p -> java.util.stream.Stream.of(p.array().toFloatArray(),
                                s.fastEma().weights().get(p.name()).toFloatArray(), s.slowEma().weights().get(p.name()).toFloatArray()))
                        .toList();
                var alone = new Scfm(besideModel, besideCache, besideConfig);
                alone.start(30, null, 0, TrainingLoop.Checkpoints.NONE).await();
                var aloneWeights = besideWeights.apply(alone);
                alone.close();
                aloneWeights.size()""");
        assertTrue(Integer.parseInt(setUp.resultText()) > 0, setUp.stdout());

        KernelAccess.run("""
                var watched = new Scfm(besideModel, besideCache, besideConfig);
                var besideRun = watched.start(30, LiveDisplay.open("SCFM beside sampling"), 0, TrainingLoop.Checkpoints.NONE);""");
        KernelAccess.Ran sampled = KernelAccess.run("""
                int samplings = 0;
                while (besideRun.isRunning()) {
                    Comparison.of(Methods.scfm(besideModel, 3, 3.0, 1.6), Methods.teacher(besideModel, 4))
                            .prompts("a red circle").seeds(samplings, 1).grid();
                    samplings++;
                }
                samplings""");
        assertTrue(Integer.parseInt(sampled.resultText()) >= 1, "sampled while the run trained");

        KernelAccess.Ran same = KernelAccess.run("""
                besideRun.await();
                var watchedWeights = besideWeights.apply(watched);
                boolean identical = watchedWeights.size() == aloneWeights.size();
                for (int i = 0; identical && i < aloneWeights.size(); i++) {
                    identical = Arrays.equals(aloneWeights.get(i), watchedWeights.get(i));
                }
                identical + " " + Lora.of(besideModel.transformer()).scale()""");
        assertEquals("true 1.0", same.resultText(), same.stdout());
    }
}
