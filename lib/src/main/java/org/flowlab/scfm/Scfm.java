package org.flowlab.scfm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.flowlab.ema.Ema;
import org.flowlab.ema.EmaStats;
import org.flowlab.flow.Noise;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.io.Checkpoint;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.WeightSet;
import org.flowlab.nn.Conditioning;
import org.flowlab.nn.Engines;
import org.flowlab.nn.NoGrad;
import org.flowlab.nn.OwnedArrays;
import org.flowlab.nn.Parameter;
import org.flowlab.nn.VelocityModel;
import org.flowlab.schedule.ScfmGrid;
import org.flowlab.schedule.TimeShift;
import org.flowlab.train.AdamW;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The SCFM trainer: one LoRA student on a frozen pre-trained model, a zero-initialised fast (0.99) and slow (0.999)
 * EMA of it, and the teacher's cached endpoints. One {@link #step()}, per sample i (SPEC-scfm.md):
 * <ol>
 *   <li>draw the guide (teacher with prob. teacher_ratio, else self), a grid of n steps, a shift, a segment start j
 *       ({@link Draw#forStep});</li>
 *   <li>{@code x_t = (1 - sigma) x0 + sigma noise}, x0 a cached teacher endpoint, fresh noise;</li>
 *   <li>first jump (no gradient): t_skip/2 Euler sub-steps with the teacher (LoRA off) or the fast EMA, landing at
 *       x';</li>
 *   <li>second jump: t_skip/2 sub-steps with the slow EMA, landing at x'';</li>
 *   <li>target {@code (x_t - x'') / (T[j] - T[j + t_skip])}; the first ceil(B r) samples take {@code noise - x0};</li>
 *   <li>the student at {@code (x_t, sigma)}, no step-size input: MSE to the target; AdamW step; then
 *       {@code slow = 0.999 slow + 0.001 theta}, {@code fast = 0.99 fast + 0.01 theta}.</li>
 * </ol>
 * Knobs ({@link #setTeacherRatio}, ...) may be turned from any thread; each takes effect at the next step and is
 * logged with that step.
 */
public final class Scfm implements AutoCloseable {
    public static final String STUDENT = "student";

    private static final int DATA = 10;
    private static final int DRAWS = 11;
    private static final int NOISE = 12;

    private final VelocityModel model;
    private final TeacherCache data;
    private final Lora lora;
    private final LoraAdapter student;
    private final Ema fast;
    private final Ema slow;
    private final AdamW optimizer;
    private volatile ScfmConfig config;
    private long step;
    private final ConcurrentLinkedQueue<Change> pending = new ConcurrentLinkedQueue<>();
    private final List<Change> changes = Collections.synchronizedList(new ArrayList<>());
    private final List<LogRow> log = Collections.synchronizedList(new ArrayList<>());

    /** A knob turned by a user: applied and logged at {@code step}. */
    public record Change(long step, String knob, String from, String to, Runnable apply) {
    }

    /** One row of the run log. */
    public record LogRow(long step, double loss, double teacherLoss, double selfLoss, double nonShortcutLoss,
                         double lr, int tSkip, double teacherRatio, double seconds) {
    }

    /** Sets up the student (rank/alpha from the config) and both EMAs at zero, on {@code model}. */
    public Scfm(VelocityModel model, TeacherCache data, ScfmConfig config) {
        Engines.prepareThread();
        long[] shape = model.imageShape();
        if (!java.util.Arrays.equals(shape, data.imageShape())) {
            throw new IllegalArgumentException("the cache holds " + java.util.Arrays.toString(data.imageShape())
                    + " images; the model makes " + java.util.Arrays.toString(shape));
        }
        this.model = model;
        this.data = data;
        this.config = config;
        this.lora = Lora.of(model);
        if (lora.adapters().stream().anyMatch(a -> a.name().equals(STUDENT))) {
            lora.remove(STUDENT);
        }
        this.student = lora.add(new LoraConfig(STUDENT, config.rank(), config.alpha(), config.targets()), config.seed());
        lora.activate(STUDENT);
        this.fast = Ema.create("fast", student, config.fastDecay(), Ema.Start.ZERO);
        this.slow = Ema.create("slow", student, config.slowDecay(), Ema.Start.ZERO);
        this.optimizer = new AdamW(List.copyOf(student.parameters().all()), config.optimizer(), model.manager());
    }

    public ScfmConfig config() {
        return config;
    }

    public long stepsDone() {
        return step;
    }

    public LoraAdapter student() {
        return student;
    }

    public Ema fastEma() {
        return fast;
    }

    public Ema slowEma() {
        return slow;
    }

    public VelocityModel model() {
        return model;
    }

    public TeacherCache data() {
        return data;
    }

    /** The draws the next {@code samples} samples would get, without touching the model or the run. */
    public List<Draw> plan(int samples) {
        return plan(config, samples, step, model.imageShape());
    }

    /** The draws of a run with this config from {@code fromStep}, for {@code samples} samples. */
    public static List<Draw> plan(ScfmConfig config, int samples, long fromStep, long[] imageShape) {
        List<Draw> out = new ArrayList<>(samples);
        for (long s = fromStep; out.size() < samples; s++) {
            List<Draw> d = Draw.forStep(config, config.batchSize(), Noise.stream(config.seed(), s, DRAWS),
                    (int) imageShape[2], (int) imageShape[1]);
            out.addAll(d.subList(0, Math.min(d.size(), samples - out.size())));
        }
        return out;
    }

    /** One whole training step; returns it taken apart (with EMA statistics when {@code withEmaStats}). */
    public StepTrace step(boolean withEmaStats) {
        Engines.prepareThread();
        applyPendingChanges();
        ScfmConfig c = config;
        int b = c.batchSize();
        long[] shape = model.imageShape();
        int per = Math.toIntExact(shape[0] * shape[1] * shape[2]);
        List<Draw> draws = Draw.forStep(c, b, Noise.stream(c.seed(), step, DRAWS), (int) shape[2], (int) shape[1]);

        // data: cached teacher endpoints, fresh noise (the official code re-noises its stored images)
        SplittableRandom pick = Noise.stream(c.seed(), step, DATA);
        float[] x0 = new float[b * per];
        List<String> prompts = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            int k = pick.nextInt(data.size());
            System.arraycopy(data.endpoint(k), 0, x0, i * per, per);
            prompts.add(data.entries().get(k).prompt());
        }
        float[] noise = gaussian(Noise.stream(c.seed(), step, NOISE), b * per);
        float[] xT = new float[b * per];
        for (int i = 0; i < b; i++) {
            float s = (float) draws.get(i).sigma();
            for (int p = i * per; p < (i + 1) * per; p++) {
                xT[p] = (1 - s) * x0[p] + s * noise[p];
            }
        }

        // the two jumps and the target, without gradients
        int half = c.tSkip() / 2;
        float[] xMid = xT.clone();
        jump(xMid, draws, 0, half, c.teacherCfg(), prompts, Draw.Kind.TEACHER, lora::useBase);
        jump(xMid, draws, 0, half, c.teacherCfg(), prompts, Draw.Kind.SELF, () -> lora.use(fast.weights()));
        float[] xEnd = xMid.clone();
        jump(xEnd, draws, half, c.tSkip(), c.teacherCfg(), prompts, null, () -> lora.use(slow.weights()));
        float[] v1 = new float[b * per];
        float[] v2 = new float[b * per];
        float[] target = new float[b * per];
        for (int i = 0; i < b; i++) {
            Draw d = draws.get(i);
            for (int p = i * per; p < (i + 1) * per; p++) {
                if (d.kind() == Draw.Kind.NON_SHORTCUT) {
                    target[p] = noise[p] - x0[p];
                } else {
                    v1[p] = (float) ((xT[p] - xMid[p]) / d.d0());
                    v2[p] = (float) ((xMid[p] - xEnd[p]) / d.d1());
                    target[p] = (float) ((xT[p] - xEnd[p]) / d.segment());
                }
            }
        }

        // the student, with gradients; then AdamW, then both EMAs (outside the collector: in-place writes)
        float[] pred;
        double loss;
        try (NDManager m = model.manager().newSubManager()) {
            Shape bs = new Shape(b, shape[0], shape[1], shape[2]);
            NDArray xt = OwnedArrays.create(m, xT, bs);
            NDArray sigma = OwnedArrays.create(m, sigmas(draws));
            NDArray tgt = OwnedArrays.create(m, target, bs);
            Conditioning cond = model.condition(prompts, m);
            optimizer.zeroGradients();
            try (GradientCollector gc = Engines.get().newGradientCollector()) {
                NDArray v = model.velocity(xt, sigma, cond);
                NDArray l = v.sub(tgt).square().mean();
                loss = l.getFloat();
                if (!Double.isFinite(loss)) {
                    throw new AdamW.NonFiniteException("SCFM loss is " + loss + " at step " + step
                            + "; nothing was applied (the last checkpoint stays as it was)");
                }
                gc.backward(l);
                pred = v.toFloatArray();
            }
            try (NoGrad ng = NoGrad.enter()) {
                optimizer.step(c.optimizer().lr());
                fast.update();
                slow.update();
                if (c.emaRestartEvery() > 0 && (step + 1) % c.emaRestartEvery() == 0) {
                    fast.restart();
                    slow.restart();
                }
            }
        }
        Map<String, Double> parts = lossParts(draws, pred, target, per, loss);
        EmaStats stats = withEmaStats ? EmaStats.of(step, List.of(WeightSet.view(student), fast.weights(), slow.weights()))
                : null;
        StepTrace trace = new StepTrace(step, draws, prompts, shape, x0, noise, xT, v1, xMid, v2, xEnd, target, pred, parts, stats);
        step++;
        return trace;
    }

    /** One training step without EMA statistics. */
    public StepTrace step() {
        return step(false);
    }

    /**
     * Euler sub-steps {@code from..to-1} of each sample's segment, in place on {@code x}, with the network chosen by
     * {@code weights}, for the samples of {@code kind} (null: every shortcut sample).
     */
    private void jump(float[] x, List<Draw> draws, int from, int to, double cfg, List<String> prompts, Draw.Kind kind,
                      Supplier<Lora.Scope> weights) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < draws.size(); i++) {
            Draw.Kind k = draws.get(i).kind();
            if (kind == null ? k != Draw.Kind.NON_SHORTCUT : k == kind) {
                idx.add(i);
            }
        }
        if (idx.isEmpty()) {
            return;
        }
        long[] shape = model.imageShape();
        int per = Math.toIntExact(shape[0] * shape[1] * shape[2]);
        int n = idx.size();
        List<String> subPrompts = idx.stream().map(prompts::get).toList();
        try (NoGrad ng = NoGrad.enter(); Lora.Scope scope = weights.get(); NDManager m = model.manager().newSubManager()) {
            Conditioning cond = model.condition(subPrompts, m);
            Conditioning uncond = cfg == 1.0 ? null : model.condition(Collections.nCopies(n, ""), m);
            for (int k = from; k < to; k++) {
                float[] sub = new float[n * per];
                float[] sig = new float[n];
                for (int r = 0; r < n; r++) {
                    Draw d = draws.get(idx.get(r));
                    System.arraycopy(x, idx.get(r) * per, sub, r * per, per);
                    sig[r] = (float) d.grid()[d.j() + k];
                }
                try (NDManager sm = m.newSubManager()) {
                    NDArray xs = OwnedArrays.create(sm, sub, new Shape(n, shape[0], shape[1], shape[2]));
                    NDArray ss = OwnedArrays.create(sm, sig);
                    NDArray v = model.velocity(xs, ss, cond);
                    if (uncond != null) {
                        NDArray vu = model.velocity(xs, ss, uncond);
                        v = vu.add(v.sub(vu).mul((float) cfg));
                    }
                    float[] vel = v.toFloatArray();
                    for (int r = 0; r < n; r++) {
                        Draw d = draws.get(idx.get(r));
                        float dt = (float) (d.grid()[d.j() + k + 1] - d.grid()[d.j() + k]); // Euler: x += (s' - s) v
                        int off = idx.get(r) * per;
                        for (int p = 0; p < per; p++) {
                            x[off + p] += dt * vel[r * per + p];
                        }
                    }
                }
            }
        }
    }

    private static Map<String, Double> lossParts(List<Draw> draws, float[] pred, float[] target, int per, double loss) {
        Map<String, Double> parts = new LinkedHashMap<>();
        parts.put("loss", loss);
        for (Draw.Kind kind : Draw.Kind.values()) {
            double sum = 0;
            int count = 0;
            for (int i = 0; i < draws.size(); i++) {
                if (draws.get(i).kind() == kind) {
                    for (int p = i * per; p < (i + 1) * per; p++) {
                        double d = pred[p] - target[p];
                        sum += d * d;
                    }
                    count++;
                }
            }
            parts.put(kind.id(), count == 0 ? Double.NaN : sum / (count * (double) per));
        }
        return parts;
    }

    private static float[] sigmas(List<Draw> draws) {
        float[] s = new float[draws.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) draws.get(i).sigma();
        }
        return s;
    }

    private static float[] gaussian(SplittableRandom rng, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) rng.nextGaussian();
        }
        return out;
    }

    /**
     * Trains until {@code totalSteps} steps are done, reporting each step (loss curves split teacher/self, knob values)
     * and, every {@code previewEvery} steps, 3-step samples of the student. Saves a checkpoint every
     * {@code checkpointEvery} steps and at the end; stops at a step boundary when interrupted or when a loss is not
     * finite (the last checkpoint stays as it was).
     */
    public void train(long totalSteps, org.flowlab.progress.ProgressListener listener, int previewEvery,
                      Path checkpoint, int checkpointEvery) throws IOException {
        long start = System.nanoTime();
        long first = step;
        org.flowlab.progress.Progress last = org.flowlab.progress.Progress.of("scfm train", step, totalSteps, 0);
        Throwable error = null;
        try {
            while (step < totalSteps) {
                org.flowlab.progress.Interruption.check("before SCFM step " + step);
                long t0 = System.nanoTime();
                StepTrace t = step(previewEvery > 0 && step % previewEvery == 0);
                record(t, (System.nanoTime() - t0) / 1e9);
                Map<String, Double> metrics = new LinkedHashMap<>();
                metrics.put("loss", t.loss());
                metrics.put("loss_teacher", t.lossParts().get("teacher"));
                metrics.put("loss_self", t.lossParts().get("self"));
                metrics.put("t_skip", (double) config.tSkip());
                metrics.put("teacher_ratio", config.teacherRatio());
                Object preview = previewEvery > 0 && step % previewEvery == 0 ? preview(3) : null;
                last = new org.flowlab.progress.Progress("scfm train", step, totalSteps, (System.nanoTime() - start) / 1e9,
                        metrics, preview, first);
                org.flowlab.progress.ProgressListener.notify(listener, last);
                if (checkpoint != null && checkpointEvery > 0 && step % checkpointEvery == 0) {
                    save(checkpoint);
                }
            }
            if (checkpoint != null) {
                save(checkpoint);
            }
        } catch (RuntimeException | IOException e) {
            error = e;
            throw e;
        } finally {
            listener.onFinished(last, error);
        }
    }

    /** The student's samples of four fixed cached prompts at {@code steps} steps (shift 3), as a captioned grid. */
    public org.flowlab.viz.ImageGrid preview(int steps) {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < Math.min(4, data.size()); i++) {
            prompts.add(data.entries().get(i * Math.max(1, data.size() / 4)).prompt());
        }
        long[] shape = model.imageShape();
        try (NDManager m = model.manager().newSubManager()) {
            long[] seeds = new long[prompts.size()];
            NDArray noise = Noise.forSeeds(m, seeds, shape);
            float[] images = org.flowlab.flow.EulerSampler.sample(model, inferencePlan(steps, 3.0), noise,
                    model.condition(prompts, m)).images().toFloatArray();
            return org.flowlab.viz.ImageGrid.of(images, prompts.size(), (int) shape[0], (int) shape[1], (int) shape[2])
                    .captions(prompts.stream().map(p -> p.replace(" background", "")).toList())
                    .title("student @" + steps + " steps, step " + step);
        }
    }

    /** Records one step in the run log (the trainer loop calls this). */
    void record(StepTrace t, double seconds) {
        ScfmConfig c = config;
        log.add(new LogRow(t.step(), t.loss(), t.lossParts().get("teacher"), t.lossParts().get("self"),
                t.lossParts().get("non-shortcut"), c.optimizer().lr(), c.tSkip(), c.teacherRatio(), seconds));
    }

    // ---- knobs: validated now, applied at the next step, logged with that step ----

    public void setTeacherRatio(double v) {
        ScfmConfig.requireProbability("teacher_ratio", v);
        queue("teacher_ratio", config.teacherRatio(), v, () -> config = config.withTeacherRatio(v));
    }

    public void setTSkip(int v) {
        ScfmConfig.requireTSkip(v, config.teacherMinSteps());
        if (config.teacherMaxSteps() % v != 0) {
            throw new IllegalArgumentException("t_skip " + v + " must divide the teacher grid " + config.teacherMaxSteps());
        }
        queue("t_skip", config.tSkip(), v, () -> config = config.withTSkip(v));
    }

    public void setNonShortcutRatio(double v) {
        ScfmConfig.requireProbability("non_shortcut_ratio", v);
        queue("non_shortcut_ratio", config.nonShortcutRatio(), v, () -> config = config.withNonShortcutRatio(v));
    }

    public void setEmaDecays(double fastDecay, double slowDecay) {
        config.withDecays(fastDecay, slowDecay); // validates
        queue("ema_decays", config.fastDecay() + "/" + config.slowDecay(), fastDecay + "/" + slowDecay, () -> {
            config = config.withDecays(fastDecay, slowDecay);
            fast.setDecay(fastDecay);
            slow.setDecay(slowDecay);
        });
    }

    public void setEmaRestartEvery(int k) {
        config.withEmaRestartEvery(k);
        queue("ema_restart_every", config.emaRestartEvery(), k, () -> config = config.withEmaRestartEvery(k));
    }

    public void setLr(double lr) {
        var o = config.optimizer().withLr(lr); // validates
        queue("lr", config.optimizer().lr(), lr, () -> {
            config = config.withOptimizer(o);
            optimizer.setConfig(o);
        });
    }

    private void queue(String knob, Object from, Object to, Runnable apply) {
        pending.add(new Change(-1, knob, String.valueOf(from), String.valueOf(to), apply));
    }

    private void applyPendingChanges() {
        Change c;
        while ((c = pending.poll()) != null) {
            c.apply().run();
            changes.add(new Change(step, c.knob(), c.from(), c.to(), c.apply()));
        }
    }

    /** Every knob change with the step it took effect at. */
    public Table changes() {
        List<Change> cs = List.copyOf(changes);
        return Table.create("SCFM knob changes").addColumns(
                LongColumn.create("step", cs.stream().mapToLong(Change::step).toArray()),
                StringColumn.create("knob", cs.stream().map(Change::knob)),
                StringColumn.create("from", cs.stream().map(Change::from)),
                StringColumn.create("to", cs.stream().map(Change::to)));
    }

    /** The run log: one row per step, with the knob values it ran under. */
    public Table log() {
        List<LogRow> rows = List.copyOf(log);
        return Table.create("SCFM run log").addColumns(
                LongColumn.create("step", rows.stream().mapToLong(LogRow::step).toArray()),
                DoubleColumn.create("loss", rows.stream().mapToDouble(LogRow::loss).toArray()),
                DoubleColumn.create("loss_teacher", rows.stream().mapToDouble(LogRow::teacherLoss).toArray()),
                DoubleColumn.create("loss_self", rows.stream().mapToDouble(LogRow::selfLoss).toArray()),
                DoubleColumn.create("loss_non_shortcut", rows.stream().mapToDouble(LogRow::nonShortcutLoss).toArray()),
                DoubleColumn.create("lr", rows.stream().mapToDouble(LogRow::lr).toArray()),
                IntColumn.create("t_skip", rows.stream().mapToInt(LogRow::tSkip).toArray()),
                DoubleColumn.create("teacher_ratio", rows.stream().mapToDouble(LogRow::teacherRatio).toArray()),
                DoubleColumn.create("seconds", rows.stream().mapToDouble(LogRow::seconds).toArray()));
    }

    public List<LogRow> logRows() {
        return List.copyOf(log);
    }

    // ---- inference and files ----

    /** Standard Euler with the SCFM schedule and the student: what the distilled LoRA is for. */
    public static SamplingPlan inferencePlan(int steps, double shift) {
        return SamplingPlan.of(ScfmGrid.schedule(steps, TimeShift.of(shift)), STUDENT).withLabel("SCFM@" + steps);
    }

    /** The student as a PEFT LoRA file with its recommended inference settings in the metadata. */
    public void exportStudent(Path file, int steps, double shift, double loraScale) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("flowlab.method", "scfm");
        meta.put("flowlab.recommended.steps", Integer.toString(steps));
        meta.put("flowlab.recommended.shift", Double.toString(shift));
        meta.put("flowlab.recommended.lora_scale", Double.toString(loraScale));
        meta.put("flowlab.steps_trained", Long.toString(step));
        LoraFiles.export(student, file, meta);
    }

    /** Student, both EMAs, optimizer moments, step, seed and knob values, in one atomic file. */
    public void save(Path file) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Parameter p : student.parameters().all()) {
            t.put("student." + p.name(), Tensor.of(p.array()));
            t.put("ema.fast." + p.name(), Tensor.of(fast.weights().get(p.name())));
            t.put("ema.slow." + p.name(), Tensor.of(slow.weights().get(p.name())));
        }
        t.putAll(optimizer.state());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("flowlab.trainer", "scfm");
        meta.put("step", Long.toString(step));
        meta.put("seed", Long.toString(config.seed()));
        meta.put("adam_steps", Long.toString(optimizer.steps()));
        meta.put("ema_updates", fast.updates() + "," + slow.updates());
        meta.put("knobs", config.teacherRatio() + "," + config.tSkip() + "," + config.nonShortcutRatio() + ","
                + config.fastDecay() + "," + config.slowDecay() + "," + config.emaRestartEvery() + "," + config.optimizer().lr());
        Checkpoint.save(file, t, meta);
    }

    /** Continues from {@link #save}: values, moments, step and knob values (names and shapes checked). */
    public void resume(Path file) throws IOException {
        SafeTensors.Contents c = Checkpoint.load(file);
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (Parameter p : student.parameters().all()) {
            expected.put("student." + p.name(), p.shape().getShape());
            expected.put("ema.fast." + p.name(), p.shape().getShape());
            expected.put("ema.slow." + p.name(), p.shape().getShape());
        }
        expected.putAll(optimizer.stateShapes());
        Checkpoint.requireShapes(file, c, expected);
        if (Long.parseLong(c.metadata().get("seed")) != config.seed()) {
            throw new IllegalArgumentException(file + " was written by a run with seed " + c.metadata().get("seed")
                    + ", this run has seed " + config.seed());
        }
        try (NoGrad ng = NoGrad.enter(); NDManager tmp = model.manager().newSubManager()) {
            for (Parameter p : student.parameters().all()) {
                p.copyFrom(c.tensor("student." + p.name()).toNDArray(tmp));
                fast.weights().get(p.name()).set(new ai.djl.ndarray.index.NDIndex("..."),
                        c.tensor("ema.fast." + p.name()).toNDArray(tmp));
                slow.weights().get(p.name()).set(new ai.djl.ndarray.index.NDIndex("..."),
                        c.tensor("ema.slow." + p.name()).toNDArray(tmp));
            }
        }
        optimizer.restore(c.tensors(), Long.parseLong(c.metadata().get("adam_steps")));
        String[] updates = c.metadata().get("ema_updates").split(",");
        fast.restoreUpdates(Long.parseLong(updates[0]));
        slow.restoreUpdates(Long.parseLong(updates[1]));
        String[] k = c.metadata().get("knobs").split(",");
        config = config.withTeacherRatio(Double.parseDouble(k[0])).withTSkip(Integer.parseInt(k[1]))
                .withNonShortcutRatio(Double.parseDouble(k[2])).withDecays(Double.parseDouble(k[3]), Double.parseDouble(k[4]))
                .withEmaRestartEvery(Integer.parseInt(k[5])).withOptimizer(config.optimizer().withLr(Double.parseDouble(k[6])));
        fast.setDecay(config.fastDecay());
        slow.setDecay(config.slowDecay());
        optimizer.setConfig(config.optimizer());
        step = Long.parseLong(c.metadata().get("step"));
    }

    @Override
    public void close() {
        optimizer.close();
        fast.close();
        slow.close();
        student.parameters().setTrainable(false);
    }
}
