package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.flowlab.data.ToyWorld;
import org.flowlab.eval.AttributeClassifier;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.Method;
import org.flowlab.eval.ToyMethods;
import org.flowlab.lora.Lora;
import org.flowlab.nn.Engines;
import org.flowlab.nn.ToyDiT;
import org.flowlab.scfm.Scfm;
import org.flowlab.schedule.GlanceLists;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowlab report}: the toy world's comparison table (teacher at several step counts, SCFM, Glance). */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate the teacher at 32/8/4/3 steps and, when given, an SCFM student and Glance LoRAs, on"
                + " held-in and held-out prompts (same seeds for every method); prints a Markdown table.")
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--scfm", description = "an SCFM student LoRA file")
    Path scfm;

    @Option(names = "--scfm-steps", split = ",", description = "student step counts (default: 3,4,8)")
    int[] scfmSteps = {3, 4, 8};

    @Option(names = "--scfm-shift", description = "student schedule shift (default: the file's recommendation)")
    Double scfmShift;

    @Option(names = "--scfm-scale", split = ",", description = "LoRA scales to try (default: the file's recommendation)")
    double[] scfmScales;

    @Option(names = "--glance", description = "a directory written by glance train")
    Path glance;

    @Option(names = "--teacher-steps", split = ",", description = "teacher step counts besides 32 (default: 8,4,3)")
    int[] teacherSteps = {8, 4, 3};

    @Option(names = "--quick", description = "6 prompts x 2 seeds per set instead of 24 x 4")
    boolean quick;

    @Option(names = "--markdown", description = "also write the table to this file")
    Path markdown;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() throws Exception {
        Engines.prepareThread();
        PrintWriter err = spec.commandLine().getErr();
        try (ToyDiT teacher = model.load(); AttributeClassifier classifier = AttributeClassifier.load(teacher.device())) {
            List<Method> methods = new ArrayList<>();
            double studentShift = 3.0;
            for (int n : teacherSteps) {
                methods.add(ToyMethods.teacher(teacher, n, ToyWorld.DEFAULT_SHIFT));
            }
            if (scfm != null) {
                var meta = ModelOptions.loadLora(teacher, scfm, Scfm.STUDENT);
                studentShift = scfmShift != null ? scfmShift
                        : Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SHIFT, "3.0"));
                double[] scales = scfmScales != null ? scfmScales
                        : new double[] {Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SCALE, "1.0"))};
                for (int n : scfmSteps) {
                    methods.add(ToyMethods.teacher(teacher, n, studentShift));
                    for (double s : scales) {
                        methods.add(ToyMethods.scfm(teacher, n, studentShift, s));
                    }
                }
            }
            if (glance != null) {
                GlanceLists lists = GlanceCommand.listsFrom(glance, new GlanceCommand.ListOptions());
                GlanceCommand.loadAdapters(teacher, glance);
                methods.add(ToyMethods.teacher(teacher, 50, ToyWorld.DEFAULT_SHIFT));
                methods.add(ToyMethods.teacher(teacher, 10, ToyWorld.DEFAULT_SHIFT));
                methods.add(ToyMethods.baseAtGlanceSigmas(teacher, lists));
                methods.add(ToyMethods.glance(teacher, lists));
            }
            Lora.of(teacher).activate(Lora.BASE);
            var rows = Evaluation.run(ToyMethods.reference(teacher), methods, classifier,
                    quick ? Evaluation.Settings.quick() : Evaluation.Settings.standard(), new ConsoleProgress(err, 10));
            String table = Evaluation.markdown(Evaluation.table("toy report", rows));
            PrintWriter out = spec.commandLine().getOut();
            out.print(table);
            out.flush();
            if (markdown != null) {
                Files.writeString(markdown, table, StandardCharsets.UTF_8);
            }
        }
        return 0;
    }

}
