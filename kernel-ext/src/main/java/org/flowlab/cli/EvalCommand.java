package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.Methods;
import org.flowlab.eval.SampleSet;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.toy.AttributeClassifier;
import org.flowlab.toy.ToyMetrics;
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
        List<Evaluation.Row> rows;
        try (DiffusionModel base = model.load(); AttributeClassifier classifier = AttributeClassifier.load(base.transformer().device())) {
            rows = Evaluation.ofSamples(entries, base.pixelShape(), Methods.reference(base), new ToyMetrics(classifier));
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
