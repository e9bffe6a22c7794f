package org.flowlab.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.data.Captions;
import org.flowlab.data.ShapeAttributes;
import org.flowlab.data.ToyShapes;
import org.flowlab.data.ToyWorld;
import org.flowlab.eval.AttributeClassifier;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.Method;
import org.flowlab.eval.SampleSet;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.lora.Lora;
import org.flowlab.nn.Engines;
import org.flowlab.nn.ToyDiT;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tech.tablesaw.api.Table;

/** {@code flowlab eval --samples DIR}: the metric table of a directory written by {@code flowlab sample}. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Score generated samples: prompt adherence, Frechet distance to real images of the same prompts,"
                + " fidelity to the 32-step teacher from the same seeds, latency and NFE; held-in and held-out prompts"
                + " separately.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--samples", required = true, description = "a directory written by flowlab sample")
    Path samples;

    @Option(names = "--csv", description = "also write the table as CSV")
    Path csv;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() throws Exception {
        Engines.prepareThread();
        List<SampleSet.Entry> entries = SampleSet.read(samples);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(samples + "/manifest.json lists no images");
        }
        Map<String, List<SampleSet.Entry>> sets = new LinkedHashMap<>();
        for (SampleSet.Entry e : entries) {
            String set = !Captions.isValid(e.prompt()) ? "other"
                    : ToyShapes.isHeldOut(Captions.parse(e.prompt())) ? "held-out" : "held-in";
            sets.computeIfAbsent(set, k -> new ArrayList<>()).add(e);
        }
        List<Evaluation.Row> rows = new ArrayList<>();
        try (ToyDiT teacher = model.load(); AttributeClassifier classifier = AttributeClassifier.load(teacher.device());
             NDManager m = teacher.manager().newSubManager()) {
            Method reference = Method.sampler("teacher@" + ToyWorld.REFERENCE_STEPS, teacher,
                    SamplingPlan.of(ToyWorld.schedule(ToyWorld.REFERENCE_STEPS), Lora.BASE), 0, ToyWorld.DEFAULT_SHIFT);
            for (Map.Entry<String, List<SampleSet.Entry>> set : sets.entrySet()) {
                List<SampleSet.Entry> es = set.getValue();
                float[][] images = es.stream().map(SampleSet.Entry::image).toArray(float[][]::new);
                List<String> prompts = es.stream().map(SampleSet.Entry::prompt).toList();
                long[] seeds = es.stream().mapToLong(SampleSet.Entry::seed).toArray();
                float[][] ref = Evaluation.images(reference, prompts, seeds, m);
                double adherence = Double.NaN;
                double frechet = Double.NaN;
                if (!set.getKey().equals("other")) {
                    List<ShapeAttributes> truth = prompts.stream().map(Captions::parse).toList();
                    adherence = Evaluation.adherence(images, truth, classifier, m);
                    frechet = Evaluation.frechetToReal(images, truth.stream().distinct().toList(), classifier, m);
                }
                double mse = 0;
                for (int i = 0; i < images.length; i++) {
                    mse += org.flowlab.eval.ImageMetrics.mse(images[i], ref[i]) / images.length;
                }
                SampleSet.Entry first = es.get(0);
                double ms = es.stream().mapToDouble(SampleSet.Entry::seconds).average().orElse(0) * 1000;
                rows.add(new Evaluation.Row(first.method(), set.getKey() + " (" + es.size() + ")", first.steps(), first.nfe(),
                        first.loraScale(), first.shift(), adherence, frechet, mse == 0 ? Double.POSITIVE_INFINITY
                        : 10 * Math.log10(4 / mse), mse, Double.NaN, ms));
            }
        }
        Table table = Evaluation.table("eval " + samples, rows);
        PrintWriter out = spec.commandLine().getOut();
        out.print(Evaluation.markdown(table));
        out.println("(latency column ms_per_image_b16 is the manifest's mean wall time per image at its sampling batch)");
        out.flush();
        if (csv != null) {
            table.write().csv(csv.toFile());
        }
        return 0;
    }
}
