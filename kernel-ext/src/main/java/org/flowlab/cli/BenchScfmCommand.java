package org.flowlab.cli;

import ai.djl.Device;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.PassCounter;
import org.flowlab.lora.TargetSelector;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.progress.ProgressListener;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.TeacherCache;
import org.flowlab.toy.ToyModel;
import org.flowlab.toy.ToyTeacher;
import org.flowlab.train.FlowMatchingTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowlab bench scfm}: what an SCFM step costs against a plain flow-matching step of the same LoRA on the same
 * teacher and batch size. A flow-matching step is one forward and one backward (about three forwards' work); an
 * SCFM step adds the two jumps, t_skip/2 no-grad sub-steps each, so theory puts the ratio at (3 + t_skip) / 3, 1.67
 * at t_skip 2. Passes are counted ({@link PassCounter}) beside the times.
 */
@Command(name = "scfm", mixinStandardHelpOptions = true, sortOptions = false,
        description = "SCFM step against a plain flow-matching step of the same LoRA (the shipped toy teacher):"
                + " medians, the ratio and its theory (3 + t_skip) / 3, passes counted per step.")
final class BenchScfmCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--batch", split = ",", description = "batch sizes (default: 8,32)")
    int[] batches = {8, 32};

    @Option(names = "--t-skip", split = ",", description = "t_skip values (default: 2,4)")
    int[] tSkips = {2, 4};

    @Option(names = "--rank", description = "LoRA rank on every Linear, alpha = rank (default: ${DEFAULT-VALUE})")
    int rank = 64;

    @Option(names = "--steps", description = "timed steps per run (default: ${DEFAULT-VALUE})")
    int steps = 20;

    @Option(names = "--warmup", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup = 5;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || warmup < 0 || rank < 1) {
            throw new IllegalArgumentException("--steps " + steps + ", --warmup " + warmup + ", --rank " + rank
                    + ": use steps >= 1, warmup >= 0, rank >= 1");
        }
        Engines.prepareThread();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("flowlab-bench-scfm");
        try (DiffusionModel teacher = ToyTeacher.load(Device.cpu())) {
            // a small cache; its making is not timed (4 Euler steps: the endpoints' quality does not change the cost)
            TeacherCache cache = TeacherCache.pregenerate(teacher, ToyModel.heldInPrompts(teacher, 32, 0), 1, 0,
                    new TeacherCache.Settings(4, teacher.defaults().shift(), teacher.defaults().cfg()), dir,
                    ProgressListener.NONE);
            out.printf(Locale.ROOT, "Machine: %s, %s; %s; LoRA rank %d on every Linear; median of %d steps after %d%n%n",
                    VersionInfo.machine(), Engines.describe(), teacher.transformer().describe(), rank, steps, warmup);
            out.println("| batch | t_skip | flow matching ms/step | SCFM ms/step | SCFM / FM | theory (3 + t_skip) / 3"
                    + " | passes per step, FM | passes per step, SCFM |");
            out.println("|---|---|---|---|---|---|---|---|");
            out.flush();
            for (int b : batches) {
                Timed fm = flowMatching(teacher, b);
                for (int t : tSkips) {
                    Timed scfm = scfm(teacher, cache, b, t);
                    out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.2f | %.2f | %s | %s |%n", b, t, fm.ms(), scfm.ms(),
                            scfm.ms() / fm.ms(), (3.0 + t) / 3.0, fm.passes(), scfm.passes());
                    out.flush();
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return 0;
    }

    private record Timed(double ms, String passes) {
    }

    private Timed scfm(DiffusionModel teacher, TeacherCache cache, int batch, int tSkip) {
        ScfmConfig config = ScfmConfig.official().toBuilder().batchSize(batch).tSkip(tSkip).lora(rank, rank).build();
        try (Scfm scfm = new Scfm(teacher, cache, config)) {
            BenchCommand.millis(scfm::step, warmup, 0);
            Map<String, Long> before = PassCounter.snapshot();
            List<Double> ms = BenchCommand.millis(scfm::step, 0, steps);
            return new Timed(BenchCommand.median(ms), perStep(PassCounter.since(before)));
        }
    }

    /** The same LoRA shape trained by plain flow matching on pre-rendered toy images. */
    private Timed flowMatching(DiffusionModel teacher, int batch) {
        Lora lora = Lora.of(teacher.transformer());
        String name = "bench-fm";
        if (lora.has(name)) {
            lora.remove(name);
        }
        LoraAdapter adapter = lora.add(new LoraConfig(name, rank, rank, TargetSelector.all()), 0);
        ToyTeacher.Recipe r = ToyTeacher.Recipe.shipped();
        FlowMatchingTrainer.Config config = new ToyTeacher.Recipe(steps + warmup, batch, 1, r.model(), r.optimizer())
                .trainerConfig();
        try (Lora.Scope s = lora.useAdapter(name);
             FlowMatchingTrainer t = new FlowMatchingTrainer(teacher, List.copyOf(adapter.parameters().all()),
                     BenchCommand.pooledSource(256), config)) {
            BenchCommand.stepMillis(t, warmup, 0);
            Map<String, Long> before = PassCounter.snapshot();
            List<Double> ms = BenchCommand.stepMillis(t, 0, steps);
            return new Timed(BenchCommand.median(ms), perStep(PassCounter.since(before)));
        } finally {
            lora.remove(name);
        }
    }

    private String perStep(Map<String, Long> passes) {
        StringBuilder sb = new StringBuilder();
        passes.forEach((k, v) -> sb.append(sb.length() > 0 ? ", " : "")
                .append(String.format(Locale.ROOT, "%s %.1f", k, v / (double) steps)));
        return sb.toString();
    }
}
