package org.flowlab.cli;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.toy.ToyShapes;
import org.flowlab.toy.ToyTeacher;
import org.flowlab.toy.DiTConfig;
import org.flowlab.model.Engines;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Parameter;
import org.flowlab.toy.ToyModel;
import org.flowlab.train.FlowMatchingTrainer;
import org.flowlab.train.TrainingBatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowlab bench}: train-step time of the toy DiT, as a Markdown table with the machine. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, subcommands = {BenchTrainCommand.class, BenchScfmCommand.class, BenchSampleCommand.class, BenchPeakCommand.class, BenchMemoryCommand.class, BenchFluxCommand.class},
        description = "Median train-step time of the default toy DiT (flow-matching loss, AdamW) at the given batch"
                + " sizes, after a warm-up. Timings belong in benchmarks, never in tests.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--batch", split = ",", description = "batch sizes (default: 32,64)")
    int[] batches = {32, 64};

    @Option(names = "--steps", description = "timed steps per batch size (default: ${DEFAULT-VALUE})")
    int steps = 30;

    @Option(names = "--warmup", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup = 10;

    @Option(names = "--pool", description = "draw batches from 256 images rendered once, so rendering is not timed"
            + " (what bench/train_step_peer.py compares against)")
    boolean pool;

    @Override
    public Integer call() {
        Engines.prepareThread();
        PrintWriter out = spec.commandLine().getOut();
        DiTConfig config = DiTConfig.toy();
        out.printf(Locale.ROOT, "Machine: %s, %s, ATEN_CPU_CAPABILITY=%s%n%n", VersionInfo.machine(), Engines.describe(),
                System.getenv("ATEN_CPU_CAPABILITY"));
        out.println("| model | params | batch | median ms/step | p10 | p90 | images/s |");
        out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (int batch : batches) {
            try (TeacherBench tb = TeacherBench.of(config, batch, steps + warmup,
                    pool ? pooledSource(256) : ToyShapes.trainingSource(1))) {
                DiffusionModel model = tb.model();
                List<Double> ms = stepMillis(tb.trainer(), warmup, steps);
                Collections.sort(ms);
                double median = ms.get(ms.size() / 2);
                out.printf(Locale.ROOT, "| toy DiT w%d d%d p%d | %,d | %d | %.1f | %.1f | %.1f | %.0f |%n", config.width(),
                        config.depth(), config.patch(),
                        model.transformer().parameters().count() + model.textEncoder().parameters().count(), batch, median,
                        ms.get(ms.size() / 10), ms.get(ms.size() * 9 / 10), batch * 1000 / median);
                out.flush();
            }
        }
        out.printf(Locale.ROOT, "%nintra-op threads: %d%s%n", JniUtils.getNumThreads(),
                pool ? "; batches from a pool of 256 pre-rendered images" : "; every batch rendered in the step");
        out.flush();
        return 0;
    }

    /**
     * A fresh toy teacher of this shape and its trainer over every parameter (the teacher's recipe at this batch and
     * step count) on {@code data}: what every train-step benchmark times.
     */
    record TeacherBench(DiffusionModel model, FlowMatchingTrainer trainer) implements AutoCloseable {
        static TeacherBench of(DiTConfig config, int batch, long steps, TrainingBatch.Source data) {
            ToyTeacher.Recipe shipped = ToyTeacher.Recipe.shipped();
            FlowMatchingTrainer.Config trainerConfig = new ToyTeacher.Recipe(steps, batch, 1, config, shipped.optimizer())
                    .trainerConfig();
            DiffusionModel model = ToyModel.create(config, Device.cpu(), 1);
            try {
                return new TeacherBench(model, new FlowMatchingTrainer(model, allParameters(model), data, trainerConfig));
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }

        @Override
        public void close() {
            trainer.close();
            model.close();
        }
    }

    /** Milliseconds of each of {@code steps} train steps after {@code warmup} untimed ones. */
    static List<Double> stepMillis(FlowMatchingTrainer trainer, int warmup, int steps) {
        return millis(trainer::trainStep, warmup, steps);
    }

    /** Wall-clock milliseconds of each of {@code steps} calls of {@code step} after {@code warmup} untimed ones. */
    static List<Double> millis(Runnable step, int warmup, int steps) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        return ms;
    }

    /** The median (the mean of the middle two for an even count). */
    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Every parameter of both components (teacher pre-training trains them all). */
    static List<Parameter> allParameters(DiffusionModel model) {
        List<Parameter> all = new ArrayList<>(model.textEncoder().parameters().all());
        all.addAll(model.transformer().parameters().all());
        return all;
    }

    /** Batches drawn from {@code size} training images rendered once. */
    static TrainingBatch.Source pooledSource(int size) {
        List<ToyShapes.Sample> images = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            images.add(ToyShapes.sample(i, 1));
        }
        return (step, batch, rng, manager) -> {
            List<ToyShapes.Sample> picked = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                picked.add(images.get(rng.nextInt(size)));
            }
            return new TrainingBatch(ToyShapes.batch(picked, manager), picked.stream().map(ToyShapes.Sample::caption).toList());
        };
    }
}
