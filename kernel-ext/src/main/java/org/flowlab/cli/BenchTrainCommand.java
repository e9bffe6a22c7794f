package org.flowlab.cli;

import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.toy.DiTConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowlab bench train}: the toy teacher's flow-matching train step in Flowlab and in Python PyTorch on the same
 * libtorch version ({@code bench/train_step_peer.py} in the venv {@code bench/make_peer_env.sh} makes), the identical
 * network on both sides (parameter counts printed side by side, a mismatch is an error), alternating A B A B in one
 * invocation so both see the same machine.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train step of the toy DiT (default width and wider), Flowlab against PyTorch on the same"
                + " libtorch, alternating runs; a Markdown table of medians and the ratio.")
final class BenchTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--width", split = ",", description = "model widths, heads of 32 channels (default: 128,512)")
    int[] widths = {128, 512};

    @Option(names = "--batch", split = ",", description = "batch sizes (default: 32,64)")
    int[] batches = {32, 64};

    @Option(names = "--threads", split = ",", description = "intra-op thread counts (default: 1,2)")
    int[] threads = {1, 2};

    @Option(names = "--steps", description = "timed steps per run (default: ${DEFAULT-VALUE})")
    int steps = 20;

    @Option(names = "--warmup", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup = 5;

    @Option(names = "--rounds", description = "alternating rounds, A B per round (default: ${DEFAULT-VALUE})")
    int rounds = 2;

    @Option(names = "--peer", description = "the Python with torch (default: bench/.venv/bin/python, made by"
            + " bench/make_peer_env.sh); 'none' times Flowlab alone")
    String peer;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || warmup < 0 || rounds < 1) {
            throw new IllegalArgumentException("--steps " + steps + ", --warmup " + warmup + ", --rounds " + rounds
                    + ": use steps >= 1, warmup >= 0, rounds >= 1");
        }
        for (int w : widths) {
            if (w < 32 || w % 32 != 0) {
                throw new IllegalArgumentException("--width " + w + " must be a multiple of 32 (heads of 32 channels)");
            }
        }
        Path home = Path.of(System.getProperty("flowlab.home", "."));
        Path script = home.resolve("bench/train_step_peer.py");
        String python = peer != null ? peer : home.resolve("bench/.venv/bin/python").toString();
        boolean withPeer = !"none".equals(python);
        if (withPeer && !Files.isExecutable(Path.of(python))) {
            throw new IllegalArgumentException("--peer " + python + " is not an executable Python; make the peer's venv"
                    + " (torch 2.7.1, DJL's libtorch) with bench/make_peer_env.sh, or pass --peer none");
        }
        Engines.prepareThread();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "Machine: %s, %s, ATEN_CPU_CAPABILITY=%s; median of %d steps after %d, median over %d"
                        + " alternating rounds%n%n", VersionInfo.machine(), Engines.describe(),
                System.getenv("ATEN_CPU_CAPABILITY"), steps, warmup, rounds);
        out.println("| threads | width | batch | params Flowlab | params PyTorch | Flowlab ms/step | PyTorch ms/step"
                + " | Flowlab / PyTorch |");
        out.println("|---|---|---|---|---|---|---|---|");
        out.flush();
        String torch = null;
        int threadsBefore = JniUtils.getNumThreads();
        try {
        for (int t : threads) {
            JniUtils.setNumThreads(t);
            for (int w : widths) {
                DiTConfig config = DiTConfig.toy().withSize(w, DiTConfig.toy().depth(), w / 32);
                for (int b : batches) {
                    List<Double> ours = new ArrayList<>();
                    List<Double> theirs = new ArrayList<>();
                    long ourParams = 0;
                    long peerParams = -1;
                    for (int r = 0; r < rounds; r++) {
                        Measured m = flowlab(config, b);
                        ourParams = m.params();
                        ours.add(m.medianMs());
                        if (withPeer) {
                            JsonObject p = peer(python, script, w, b, t);
                            peerParams = p.get("params").getAsLong();
                            theirs.add(p.get("median_ms").getAsDouble());
                            torch = p.get("torch").getAsString();
                        }
                    }
                    if (withPeer && peerParams != ourParams) {
                        throw new IllegalStateException("parameter counts differ at width " + w + ": Flowlab "
                                + ourParams + ", PyTorch " + peerParams + "; the two networks are not the same");
                    }
                    double a = BenchCommand.median(ours);
                    double p = withPeer ? BenchCommand.median(theirs) : Double.NaN;
                    out.printf(Locale.ROOT, "| %d | %d | %d | %,d | %s | %.1f | %s | %s |%n", t, w, b, ourParams,
                            withPeer ? String.format(Locale.ROOT, "%,d", peerParams) : "-", a,
                            withPeer ? String.format(Locale.ROOT, "%.1f", p) : "-",
                            withPeer ? String.format(Locale.ROOT, "%.2fx", a / p) : "-");
                    out.flush();
                }
            }
        }
        } finally {
            JniUtils.setNumThreads(threadsBefore); // the process's own setting, for whatever runs next in it
        }
        if (torch != null) {
            out.println();
            out.println("Peer: Python PyTorch " + torch + ", the same network and step (bench/train_step_peer.py).");
        }
        out.flush();
        return 0;
    }

    private record Measured(long params, double medianMs) {
    }

    /** One run of the toy teacher's train step on batches from a pool of pre-rendered images. */
    private Measured flowlab(DiTConfig config, int batch) {
        try (BenchCommand.TeacherBench tb = BenchCommand.TeacherBench.of(config, batch, steps + warmup,
                BenchCommand.pooledSource(256))) {
            DiffusionModel model = tb.model();
            List<Double> ms = BenchCommand.stepMillis(tb.trainer(), warmup, steps);
            return new Measured(model.transformer().parameters().count() + model.textEncoder().parameters().count(),
                    BenchCommand.median(ms));
        }
    }

    /** One run of the peer, a fresh Python process (torch's import is not timed): its JSON line. */
    private JsonObject peer(String python, Path script, int width, int batch, int threads)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(python, script.toString(), "--width", Integer.toString(width),
                "--batch", Integer.toString(batch), "--threads", Integer.toString(threads), "--steps",
                Integer.toString(steps), "--warmup", Integer.toString(warmup));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0 || text.isEmpty()) {
            throw new IOException(python + " " + script + " failed (exit " + p.exitValue() + ")");
        }
        String[] lines = text.split("\n");
        return JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    }

}
