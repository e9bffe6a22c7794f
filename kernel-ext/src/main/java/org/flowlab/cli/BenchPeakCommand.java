package org.flowlab.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.toy.DiTConfig;
import org.flowlab.toy.ToyModel;
import org.flowlab.train.FlowMatchingTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowlab bench peak}: the fp32 matmul peak of this machine through Flowlab's libtorch, and the GFLOP/s the
 * toy teacher's train step achieves (three forwards' matmul FLOPs, counted from the config by
 * {@link org.flowlab.toy.ToyDiT#forwardFlops}) as a fraction of it.
 */
@Command(name = "peak", mixinStandardHelpOptions = true, sortOptions = false,
        description = "fp32 matmul peak through the engine's libtorch, and the train step's achieved GFLOP/s (FLOPs"
                + " from the model config) as a fraction of it, at each thread count.")
final class BenchPeakCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--size", description = "square matmul side for the peak (default: ${DEFAULT-VALUE})")
    int size = 2048;

    @Option(names = "--width", split = ",", description = "model widths, heads of 32 channels (default: 128,512)")
    int[] widths = {128, 512};

    @Option(names = "--batch", description = "train-step batch (default: ${DEFAULT-VALUE})")
    int batch = 64;

    @Option(names = "--threads", split = ",", description = "intra-op thread counts (default: 1,2)")
    int[] threads = {1, 2};

    @Option(names = "--steps", description = "timed train steps (default: ${DEFAULT-VALUE})")
    int steps = 5;

    @Option(names = "--warmup", description = "untimed train steps first (default: ${DEFAULT-VALUE})")
    int warmup = 2;

    @Override
    public Integer call() {
        if (size < 1 || batch < 1 || steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("--size " + size + ", --batch " + batch + ", --steps " + steps
                    + ", --warmup " + warmup + ": use positive sizes and steps, warmup >= 0");
        }
        for (int w : widths) {
            if (w < 32 || w % 32 != 0) {
                throw new IllegalArgumentException("--width " + w + " must be a multiple of 32 (heads of 32 channels)");
            }
        }
        Engines.prepareThread();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "Machine: %s, %s; peak: median of 5 fp32 %dx%d matmuls; train step: batch %d, median of"
                + " %d steps after %d, FLOPs = 3 x forward matmul FLOPs from the config%n%n", VersionInfo.machine(),
                Engines.describe(), size, size, batch, steps, warmup);
        out.println("| threads | matmul peak GFLOP/s | model | GFLOP per step | ms/step | achieved GFLOP/s | of peak |");
        out.println("|---|---|---|---|---|---|---|");
        int before = JniUtils.getNumThreads();
        try {
            for (int t : threads) {
                JniUtils.setNumThreads(t);
                double peak = matmulPeak();
                for (int w : widths) {
                    DiTConfig config = DiTConfig.toy().withSize(w, DiTConfig.toy().depth(), w / 32);
                    try (BenchCommand.TeacherBench tb = BenchCommand.TeacherBench.of(config, batch, steps + warmup,
                            BenchCommand.pooledSource(256))) {
                        DiffusionModel model = tb.model();
                        FlowMatchingTrainer trainer = tb.trainer();
                        double gflop = 3.0 * (ToyModel.transformer(model).forwardFlops(batch)
                                + ToyModel.textEncoder(model).forwardFlops(batch)) / 1e9;
                        double ms = BenchCommand.median(BenchCommand.stepMillis(trainer, warmup, steps));
                        double achieved = gflop / (ms / 1000);
                        out.printf(Locale.ROOT, "| %d | %.1f | toy DiT w%d d%d | %.2f | %.1f | %.1f | %.2f |%n", t, peak, w,
                                config.depth(), gflop, ms, achieved, achieved / peak);
                        out.flush();
                    }
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return 0;
    }

    /** GFLOP/s of a square fp32 matmul (2 n^3 FLOPs), median of 5 after one untimed. */
    private double matmulPeak() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.randomNormal(new Shape(size, size));
            NDArray b = m.randomNormal(new Shape(size, size));
            List<Double> gflops = new ArrayList<>();
            for (int i = -1; i < 5; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // forces the result
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (i >= 0) {
                    gflops.add(2.0 * size * size * size / s / 1e9);
                }
            }
            return BenchCommand.median(gflops);
        }
    }
}
