package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.Method;
import org.flowlab.eval.Methods;
import org.flowlab.glance.GlanceRun;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.scfm.Scfm;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.toy.AttributeClassifier;
import org.flowlab.toy.ToyMetrics;
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

    @Option(names = "--classifier", description = "the judge of a second-world (scenes) model (default:"
            + " models/scene-classifier.safetensors)")
    Path classifier;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() throws Exception {
        Engines.prepareThread();
        PrintWriter err = spec.commandLine().getErr();
        try (DiffusionModel teacher = model.load(); Judge judge = Judge.of(teacher, classifier)) {
            List<Method> methods = new ArrayList<>();
            double studentShift = 3.0;
            for (int n : teacherSteps) {
                methods.add(Methods.teacher(teacher, n));
            }
            if (scfm != null) {
                var meta = ModelOptions.loadLora(teacher, scfm, Scfm.STUDENT);
                studentShift = scfmShift != null ? scfmShift
                        : Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SHIFT, "3.0"));
                double[] scales = scfmScales != null ? scfmScales
                        : new double[] {Double.parseDouble(meta.getOrDefault(ModelOptions.RECOMMENDED_SCALE, "1.0"))};
                for (int n : scfmSteps) {
                    methods.add(Methods.teacher(teacher, n, studentShift));
                    for (double s : scales) {
                        methods.add(Methods.scfm(teacher, n, studentShift, s));
                    }
                }
            }
            if (glance != null) {
                GlanceLists lists = GlanceRun.open(glance).lists();
                GlanceRun.loadAdapters(teacher, glance);
                methods.add(Methods.teacher(teacher, 50));
                methods.add(Methods.teacher(teacher, 10));
                methods.add(Methods.baseAtGlanceSigmas(teacher, lists));
                methods.add(Methods.glance(teacher, lists));
            }
            var rows = Evaluation.run(Methods.reference(teacher), methods, judge.metrics(),
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

    /** The metrics of the model's world and the classifier behind them (closed with the report). */
    private record Judge(org.flowlab.eval.PromptMetrics metrics, AutoCloseable classifier) implements AutoCloseable {
        static Judge of(DiffusionModel model, Path sceneClassifier) throws java.io.IOException {
            if (org.flowlab.toy.ToyModel.isScenes(model)) {
                var c = org.flowlab.toy.scenes.SceneClassifier.load(sceneClassifier != null ? sceneClassifier
                        : org.flowlab.toy.ToyModelFiles.shipped(org.flowlab.toy.scenes.SceneClassifier.SHIPPED_FILE),
                        model.transformer().device());
                return new Judge(new org.flowlab.toy.scenes.SceneMetrics(c, Evaluation.Settings.standard().realPerPrompt()),
                        c);
            }
            AttributeClassifier c = AttributeClassifier.load(model.transformer().device());
            return new Judge(new ToyMetrics(c), c);
        }

        @Override
        public void close() throws Exception {
            classifier.close();
        }
    }
}
