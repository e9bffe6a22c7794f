package org.flowlab.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.diffusers.FluxTransformer2DModel;
import org.flowlab.glance.Glance;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.Fingerprint;
import org.flowlab.model.LatentCodec;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.NoGrad;
import org.flowlab.model.TextEncoder;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.ScheduleFamily;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.TeacherCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowlab bench flux}: a Flux transformer of a size no checkpoint here has (random weights from a config),
 * timed the way the methods use it: one forward, Glance steps (the official Flux recipe: rank 16 on the attention
 * projections, batch 1) and SCFM steps (rank 64 on every Linear, two teacher/EMA jumps per step). Conditioning is
 * random (T5 width 4096, pooled 768), so no text encoder is loaded: the figures are the transformer's.
 */
@Command(name = "flux", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Forward, Glance step and SCFM step of a random Flux transformer of the given size, on --device:"
                + " steps per second and peak memory, as a Markdown table.")
final class BenchFluxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--double", description = "double-stream blocks (default: ${DEFAULT-VALUE})")
    int doubleBlocks = 4;

    @Option(names = "--single", description = "single-stream blocks (default: ${DEFAULT-VALUE})")
    int singleBlocks = 8;

    @Option(names = "--heads", description = "attention heads of 128 channels; width = 128 x heads (default: ${DEFAULT-VALUE})")
    int heads = 8;

    @Option(names = "--image-size", converter = Converters.SizeConverter.class,
            description = "image size WxH: latents are 1/8, tokens 1/16 per side (default: 1024x1024)")
    Converters.Size size = new Converters.Size(1024, 1024);

    @Option(names = "--text-length", description = "T5 tokens (default: ${DEFAULT-VALUE}, Flux-dev's)")
    int textLength = 512;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--dtype", description = "frozen base in fp32 or fp16 (default: ${DEFAULT-VALUE})")
    String dtype = "fp32";

    @Option(names = "--steps", description = "timed Glance and SCFM steps each (default: ${DEFAULT-VALUE})")
    int steps = 20;

    @Option(names = "--warmup", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup = 2;

    @Option(names = "--scfm-batch", description = "SCFM samples per step (default: ${DEFAULT-VALUE}; official 8)")
    int scfmBatch = 4;

    @Option(names = "--recompute", description = "block-wise recomputation in the backward pass")
    boolean recompute;

    @Override
    public Integer call() throws IOException {
        if (steps < 1 || warmup < 0 || scfmBatch < 1 || heads < 1 || doubleBlocks < 0 || singleBlocks < 0) {
            throw new IllegalArgumentException("--steps " + steps + ", --warmup " + warmup + ", --scfm-batch " + scfmBatch
                    + ", --heads " + heads + ": use steps, batch and heads >= 1, warm-up and blocks >= 0");
        }
        if (size.width() % 16 != 0 || size.height() % 16 != 0) {
            throw new IllegalArgumentException("--image-size " + size + ": both sides must be multiples of 16");
        }
        Engines.prepareThread();
        Device d = Engines.device(device);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        MemoryPeak peak = MemoryPeak.start(d);
        try (DiffusionModel model = randomFlux(d)) {
            FluxTransformer2DModel transformer = (FluxTransformer2DModel) model.transformer();
            transformer.setRecompute(recompute);
            err.println(model.describe());
            Map<String, String> rows = new LinkedHashMap<>();
            rows.put("transformer", transformer.describe());
            rows.put("tokens (image + text)", (size.width() / 16) * (size.height() / 16) + " + " + textLength);
            rows.put("forward, batch 1", String.format(Locale.ROOT, "%.1f ms", forwardMs(model)));
            rows.put("Glance step (batch 1, rank 16, attention)", perSecond(glanceSeconds(model, err)));
            rows.put("SCFM step (batch " + scfmBatch + ", rank 64, every Linear)", perSecond(scfmSeconds(model, err)));
            rows.put("peak memory", peak.stop());
            out.printf(Locale.ROOT, "Machine: %s, %s, %s, %s%s%n%n", VersionInfo.machine(), Engines.describe(), d,
                    dtype, recompute ? ", recomputation on" : "");
            out.println("| what | figure |");
            out.println("| --- | --- |");
            rows.forEach((k, v) -> out.println("| " + k + " | " + v + " |"));
            out.flush();
        }
        return 0;
    }

    private DiffusionModel randomFlux(Device d) {
        JsonObject c = new JsonObject();
        c.addProperty("num_layers", doubleBlocks);
        c.addProperty("num_single_layers", singleBlocks);
        c.addProperty("attention_head_dim", 128);
        c.addProperty("num_attention_heads", heads);
        c.addProperty("joint_attention_dim", 4096);
        c.addProperty("pooled_projection_dim", 768);
        c.addProperty("in_channels", 64);
        c.addProperty("guidance_embeds", true);
        JsonArray axes = new JsonArray();
        List.of(16, 56, 56).forEach(axes::add);
        c.add("axes_dims_rope", axes);
        FluxTransformer2DModel t = FluxTransformer2DModel.random(c, d, size.height() / 8, size.width() / 8,
                ModelCommand.dataType(dtype));
        long[] latent = t.latentShape();
        return new DiffusionModel("random Flux", t, new RandomText(d, textLength), LatentCodec.identity(latent),
                ScheduleFamily.SHIFTED_GRID, new DiffusionModel.Defaults(28, 3.0, 1.0, 3.5),
                Map.of(DiffusionModel.PIPELINE, DiffusionModel.FLUX_PIPELINE));
    }

    private double forwardMs(DiffusionModel model) {
        try (NDManager m = model.transformer().manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            NDArray x = m.randomNormal(new Shape(org.flowlab.model.Shapes.batched(1, model.latentShape())));
            NDArray sigma = m.create(new float[] {0.5f});
            Conditioning cond = model.encode(List.of("a photo"), m);
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < warmup + 5; i++) {
                long t0 = System.nanoTime();
                model.transformer().velocity(x, sigma, cond).toFloatArray(); // to the host: the work is done
                if (i >= warmup) {
                    ms.add((System.nanoTime() - t0) / 1e6);
                }
            }
            return median(ms);
        }
    }

    /** Seconds per Glance step, from the loop's own step times after the warm-up. */
    private List<Double> glanceSeconds(DiffusionModel model, PrintWriter err) {
        float[] latents;
        try (NDManager m = model.transformer().manager().newSubManager()) {
            latents = m.randomNormal(new Shape(model.latentShape())).toFloatArray();
        }
        StepTimes times = new StepTimes();
        GlanceLists lists = GlanceLists.derive(model.schedule(50), GlanceLists.DEFAULT_SLOW_POSITIONS,
                GlanceLists.DEFAULT_FAST_POSITIONS);
        Glance.train(model, new Glance.Example(latents, "a photo", model.textEncoder()), lists,
                Glance.Config.forModel(model).steps(warmup + steps).build(), times);
        err.println("Glance: " + times.count() + " steps");
        return times.after(warmup);
    }

    private List<Double> scfmSeconds(DiffusionModel model, PrintWriter err) throws IOException {
        Path dir = Files.createTempDirectory("flowlab-bench-flux");
        try {
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < scfmBatch; i++) {
                prompts.add("prompt " + i);
            }
            TeacherCache cache = TeacherCache.pregenerate(model, prompts, 1, 0, new TeacherCache.Settings(2, 3.0, 1.0),
                    dir, ProgressListener.NONE);
            ScfmConfig config = ScfmConfig.forModel(model).toBuilder().batchSize(scfmBatch).build();
            List<Double> seconds = new ArrayList<>();
            try (Scfm scfm = new Scfm(model, cache, config)) {
                for (int i = 0; i < warmup + steps; i++) {
                    long t0 = System.nanoTime();
                    scfm.step();
                    if (i >= warmup) {
                        seconds.add((System.nanoTime() - t0) / 1e9);
                    }
                }
            }
            err.println("SCFM: " + (warmup + steps) + " steps");
            return seconds;
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String perSecond(List<Double> seconds) {
        double m = median(seconds);
        return String.format(Locale.ROOT, "%.2f it/s (median %.0f ms over %d steps)", 1 / m, m * 1000, seconds.size());
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        java.util.Collections.sort(s);
        return s.get(s.size() / 2);
    }

    /** The Glance loop's step times per phase: the elapsed time between consecutive steps' progress reports. */
    private static final class StepTimes implements ProgressListener {
        private final Map<String, List<Double>> seconds = new LinkedHashMap<>();
        private final Map<String, double[]> last = new LinkedHashMap<>(); // phase -> {step, elapsed}

        @Override
        public synchronized void onProgress(Progress p) {
            double[] prev = last.get(p.job());
            if (prev != null && p.step() > prev[0]) {
                seconds.computeIfAbsent(p.job(), k -> new ArrayList<>()).add(p.elapsedSeconds() - prev[1]);
            }
            if (prev == null || p.step() > prev[0]) {
                last.put(p.job(), new double[] {p.step(), p.elapsedSeconds()});
            }
        }

        synchronized int count() {
            return seconds.values().stream().mapToInt(List::size).sum();
        }

        /** Each phase's steps after its first {@code skip}. */
        synchronized List<Double> after(int skip) {
            List<Double> out = new ArrayList<>();
            seconds.values().forEach(v -> out.addAll(v.subList(Math.min(skip, v.size()), v.size())));
            return out;
        }
    }

    /** Random conditioning of Flux's shapes, the same for the same prompt: no text encoder to load or time. */
    static final class RandomText implements TextEncoder {
        private final NDManager manager;
        private final int length;

        RandomText(Device device, int length) {
            this.manager = Engines.get().newBaseManager(device);
            this.length = length;
        }

        @Override
        public Conditioning encode(List<String> prompts, NDManager m) {
            long n = prompts.size();
            float[] text = new float[(int) (n * length * 4096)];
            float[] pooled = new float[(int) (n * 768)];
            for (int i = 0; i < n; i++) {
                java.util.SplittableRandom r = new java.util.SplittableRandom(prompts.get(i).hashCode());
                for (int j = 0; j < length * 4096; j++) {
                    text[i * length * 4096 + j] = (float) (r.nextDouble() * 2 - 1);
                }
                for (int j = 0; j < 768; j++) {
                    pooled[i * 768 + j] = (float) (r.nextDouble() * 2 - 1);
                }
            }
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put(FluxTransformer2DModel.TEXT, m.create(text, new Shape(n, length, 4096)));
            t.put(FluxTransformer2DModel.POOLED, m.create(pooled, new Shape(n, 768)));
            return Conditioning.of(prompts, t);
        }

        @Override
        public NDManager manager() {
            return manager;
        }

        @Override
        public NamedParameters parameters() {
            return new NamedParameters();
        }

        @Override
        public Map<String, LinearLayer> linears() {
            return Map.of();
        }

        @Override
        public String fingerprint() {
            return Fingerprint.of("random text").add(length).hex();
        }

        @Override
        public String describe() {
            return "random conditioning (" + length + " x 4096, pooled 768)";
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** Peak memory while the bench runs: the GPU's used memory (sampled) on CUDA, else the process's peak RSS. */
    private static final class MemoryPeak {
        private final Device device;
        private final Thread sampler;
        private volatile boolean running = true;
        private volatile long peakBytes;

        private MemoryPeak(Device device) {
            this.device = device;
            this.sampler = new Thread(this::sample, "memory-peak");
            sampler.setDaemon(true);
        }

        static MemoryPeak start(Device device) {
            MemoryPeak p = new MemoryPeak(device);
            if (device.isGpu()) {
                p.sampler.start();
            }
            return p;
        }

        private void sample() {
            while (running) {
                try {
                    peakBytes = Math.max(peakBytes, ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getUsed());
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException | LinkageError e) {
                    peakBytes = -1; // no CUDA runtime reachable from Java: the script's nvidia-smi figure stands
                    return;
                }
            }
        }

        String stop() throws IOException {
            running = false;
            if (device.isGpu()) {
                return peakBytes < 0 ? "n/a (see nvidia-smi)" : String.format(Locale.ROOT,
                        "%.2f GB on %s (device memory in use, sampled every 50 ms)", peakBytes / 1e9, device);
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D", ""));
                    return String.format(Locale.ROOT, "%.2f GB peak resident (the whole JVM)", kb / 1e6);
                }
            }
            return "n/a";
        }
    }
}
