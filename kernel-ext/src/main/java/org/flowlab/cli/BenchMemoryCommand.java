package org.flowlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.model.Engines;
import org.flowlab.toy.DiTConfig;
import org.flowlab.train.FlowMatchingTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowlab bench memory}: the process's resident memory while the toy teacher trains for many steps. Native
 * tensors that outlive their step (a leak through a manager) show as steady growth; the table makes it visible.
 */
@Command(name = "memory", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Resident memory (VmRSS) of this process every --every steps of a toy-teacher training run:"
                + " flat means no native tensor outlives its step.")
final class BenchMemoryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--steps", description = "training steps (default: ${DEFAULT-VALUE})")
    int steps = 2000;

    @Option(names = "--every", description = "steps between readings (default: ${DEFAULT-VALUE})")
    int every = 250;

    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 8;

    @Override
    public Integer call() throws IOException {
        if (steps < 1 || every < 1 || batch < 1) {
            throw new IllegalArgumentException("--steps " + steps + ", --every " + every + ", --batch " + batch
                    + " must be 1 or more");
        }
        Engines.prepareThread();
        PrintWriter out = spec.commandLine().getOut();
        DiTConfig config = DiTConfig.toy();
        out.printf(Locale.ROOT, "Machine: %s, %s; toy teacher training, batch %d%n%n", VersionInfo.machine(),
                Engines.describe(), batch);
        out.println("| step | resident MB | change since the first reading |");
        out.println("|---|---|---|");
        try (BenchCommand.TeacherBench tb = BenchCommand.TeacherBench.of(config, batch, steps,
                BenchCommand.pooledSource(256))) {
            FlowMatchingTrainer t = tb.trainer();
            double first = Double.NaN;
            for (int s = 1; s <= steps; s++) {
                t.trainStep();
                if (s % every == 0 || s == steps) {
                    double mb = residentMb();
                    if (Double.isNaN(first)) {
                        first = mb;
                    }
                    out.printf(Locale.ROOT, "| %d | %.1f | %+.1f |%n", s, mb, mb - first);
                    out.flush();
                }
            }
        }
        return 0;
    }

    /** VmRSS from /proc/self/status (Linux), in MB. */
    static double residentMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IOException("/proc/self/status has no VmRSS line: this benchmark needs Linux");
    }
}
