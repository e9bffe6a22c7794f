package org.flowlab.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.Method;
import org.flowlab.eval.Methods;
import org.flowlab.glance.Glance;
import org.flowlab.lora.Lora;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.SchedulePreset;
import org.flowlab.scfm.Scfm;
import org.flowlab.toy.ToyShapes;
import org.flowlab.toy.ToyTeacher;
import org.flowlab.toy.ToyWorld;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowlab bench sample}: per-image latency of the shipped toy teacher at 32 steps, the shipped SCFM student at
 * 3/4/8 steps with its LoRA unmerged and merged, and Glance at 10 steps (two adapters, unmerged), at batch 1 and 16.
 * Each speed-up over teacher@32 is set against its NFE ratio: 1.00 means a step costs what a teacher step costs.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Per-image sampling latency of teacher@32, SCFM@3/4/8 (LoRA unmerged and merged) and Glance@10"
                + " at batch 1 and 16; each speed-up over teacher@32 against its NFE ratio.")
final class BenchSampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--repeats", description = "timed runs per method and batch size (default: ${DEFAULT-VALUE})")
    int repeats = 5;

    @Option(names = "--batch", split = ",", description = "batch sizes (default: 1,16)")
    int[] batches = {1, 16};

    @Option(names = "--scfm-steps", split = ",", description = "student step counts (default: 3,4,8)")
    int[] scfmSteps = {3, 4, 8};

    @Override
    public Integer call() throws Exception {
        if (repeats < 1) {
            throw new IllegalArgumentException("--repeats " + repeats + " must be 1 or more");
        }
        Engines.prepareThread();
        PrintWriter out = spec.commandLine().getOut();
        String prompt = "a large red circle at the center on a white background";
        try (DiffusionModel teacher = ToyTeacher.load(Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            ToyWorld.loadShippedScfm(teacher);
            var example = ToyShapes.sample(3, 0);
            GlanceLists lists = GlanceLists.derive(SchedulePreset.QWEN_IMAGE, 1024, 1024);
            Glance.train(teacher, example.image(), example.caption(), lists, Glance.Config.official(), null);
            Method reference = Methods.teacher(teacher, 32);
            out.printf(Locale.ROOT, "Machine: %s, %s; median of %d runs per method and batch size, ms per image%n%n",
                    VersionInfo.machine(), Engines.describe(), repeats);
            out.println("| method | LoRA | NFE | batch | ms/image | speed-up over teacher@32 | NFE ratio | speed-up / NFE ratio |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (int b : batches) {
                double base = Evaluation.latencyMs(reference, prompt, b, repeats, m);
                row(out, reference, "-", b, base, base);
                List<Method> unmerged = new ArrayList<>();
                for (int s : scfmSteps) {
                    unmerged.add(Methods.scfm(teacher, s, 3.0, 1.0));
                }
                for (Method method : unmerged) {
                    row(out, method, "unmerged", b, Evaluation.latencyMs(method, prompt, b, repeats, m), base);
                }
                Lora lora = Lora.of(teacher.transformer());
                lora.activate(Scfm.STUDENT);
                lora.merge(); // the student folded into the base weights: its steps cost a teacher step
                try {
                    for (Method method : unmerged) {
                        row(out, method, "merged", b, Evaluation.latencyMs(method, prompt, b, repeats, m), base);
                    }
                } finally {
                    lora.unmerge();
                }
                Method glance = Methods.glance(teacher, lists);
                row(out, glance, "unmerged (two)", b, Evaluation.latencyMs(glance, prompt, b, repeats, m), base);
            }
        }
        out.flush();
        return 0;
    }

    private static void row(PrintWriter out, Method method, String lora, int batch, double ms, double baseMs) {
        double speedUp = baseMs / ms;
        double nfeRatio = 32.0 / method.nfe();
        out.printf(Locale.ROOT, "| %s | %s | %d | %d | %.2f | %.2f | %.2f | %.2f |%n", method.name(), lora, method.nfe(),
                batch, ms, speedUp, nfeRatio, speedUp / nfeRatio);
        out.flush();
    }
}
