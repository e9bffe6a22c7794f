package org.flowlab.scfm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
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
import org.flowlab.cache.PromptCache;
import org.flowlab.ema.Ema;
import org.flowlab.ema.EmaStats;
import org.flowlab.flow.Flow;
import org.flowlab.flow.Guidance;
import org.flowlab.flow.Noise;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.io.Checkpoint;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.WeightSet;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.FlowModel;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Parameter;
import org.flowlab.model.Shapes;
import org.flowlab.progress.ProgressListener;
import org.flowlab.train.AdamW;
import org.flowlab.train.Backprop;
import org.flowlab.train.TrainingLoop;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The SCFM trainer: one LoRA student on a frozen pre-trained transformer, a zero-initialised fast (0.99) and slow
 * (0.999) EMA of it, and the teacher's cached endpoints. One step, per sample i (SPEC-scfm.md):
 * <ol>
 *   <li>draw the guide (teacher with prob. teacher_ratio, else self), a grid of n steps, a shift, a segment start j
 *       ({@link Draw#forStep}); for a guidance-embedded model also g ~ U[0, 7.5);</li>
 *   <li>{@code x_t = (1 - sigma) x0 + sigma noise}, x0 a cached teacher endpoint, fresh noise;</li>
 *   <li>first jump (no gradient): t_skip/2 Euler sub-steps with the teacher (LoRA off) or the fast EMA, landing at
 *       x';</li>
 *   <li>second jump: t_skip/2 sub-steps with the slow EMA, landing at x'';</li>
 *   <li>target {@code (x_t - x'') / (T[j] - T[j + t_skip])}; the first ceil(B r) samples take {@code noise - x0};</li>
 *   <li>the student at {@code (x_t, sigma)}, no step-size input: MSE to the target; AdamW step; then
 *       {@code slow = 0.999 slow + 0.001 theta}, {@code fast = 0.99 fast + 0.01 theta}.</li>
 * </ol>
 * Everything in a step is tensor math on the model's device: the draws become per-sample tensors, each jump runs on
 * the sub-batch of its guide (gathered by index, written back by the inverse permutation), classifier-free guidance
 * goes through {@link Guidance}. The host sees the batch upload, the per-sample losses (B floats, for the NaN guard
 * and the log) and, when asked, the trace.
 *
 * <p>Knobs ({@link #setTeacherRatio}, ...) may be turned from any thread; each takes effect at the next step and is
 * logged with that step.
 */
public final class Scfm implements TrainingLoop.Trainer, AutoCloseable {
    public static final String STUDENT = "student";
    /** Flux's guidance-embedding draw per sample: U[0, 7.5). */
    public static final double GUIDANCE_MAX = 7.5;

    private static final int DATA = 10;
    private static final int DRAWS = 11;
    private static final int NOISE = 12;
    private static final int GUIDANCE = 13;

    private final DiffusionModel model;
    private final FlowModel transformer;
    private final TeacherCache data;
    /** The teacher cache's conditioning by this model's text encoder, or null (then the step encodes). */
    private final PromptCache cachedConditioning;
    private final Lora lora;
    private final LoraAdapter student;
    private final Ema fast;
    private final Ema slow;
    private final AdamW optimizer;
    private volatile ScfmConfig config;
    private long step;
    private int previewEvery;
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

    /** The knob values a checkpoint keeps (JSON), so a resumed run continues under the knobs it had. */
    record Knobs(double teacherRatio, int tSkip, double nonShortcutRatio, double fastDecay, double slowDecay,
                 int emaRestartEvery, double lr) {
        static Knobs of(ScfmConfig c) {
            return new Knobs(c.teacherRatio(), c.tSkip(), c.nonShortcutRatio(), c.fastDecay(), c.slowDecay(),
                    c.emaRestartEvery(), c.optimizer().lr());
        }

        ScfmConfig applyTo(ScfmConfig c) {
            return c.toBuilder().teacherRatio(teacherRatio).tSkip(tSkip).nonShortcutRatio(nonShortcutRatio)
                    .decays(fastDecay, slowDecay).emaRestartEvery(emaRestartEvery).lr(lr).build();
        }
    }

    /** Sets up the student (rank/alpha from the config) on the model's transformer, and both EMAs at zero. */
    public Scfm(DiffusionModel model, TeacherCache data, ScfmConfig config) {
        Engines.prepareThread();
        long[] shape = model.latentShape();
        if (!java.util.Arrays.equals(shape, data.latentShape())) {
            throw new IllegalArgumentException("the cache in " + data.directory() + " holds " + Shapes.text(data.latentShape())
                    + " latents; this model's are " + Shapes.text(shape) + " (pre-generate with this model)");
        }
        this.model = model;
        this.transformer = model.transformer();
        this.data = data;
        this.config = config;
        this.lora = Lora.of(transformer);
        if (lora.has(STUDENT)) {
            lora.remove(STUDENT);
        }
        this.student = lora.add(new LoraConfig(STUDENT, config.rank(), config.alpha(), config.targets()), config.seed());
        this.fast = Ema.create("fast", student, config.fastDecay(), Ema.Start.ZERO);
        this.slow = Ema.create("slow", student, config.slowDecay(), Ema.Start.ZERO);
        this.optimizer = new AdamW(List.copyOf(student.parameters().all()), config.optimizer(), transformer.manager());
        this.cachedConditioning = data.conditioningBy(model.textEncoder());
    }

    /** Whether steps read the cache's prompt conditioning instead of running the text encoder. */
    public boolean usesCachedConditioning() {
        return cachedConditioning != null;
    }

    public ScfmConfig config() {
        return config;
    }

    @Override
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

    public DiffusionModel model() {
        return model;
    }

    public TeacherCache data() {
        return data;
    }

    /** The draws the next {@code samples} samples would get, without touching the model or the run. */
    public List<Draw> plan(int samples) {
        return plan(config, samples, step, model.latentShape());
    }

    /** The draws of a run with this config from {@code fromStep}, for {@code samples} samples. */
    public static List<Draw> plan(ScfmConfig config, int samples, long fromStep, long[] latentShape) {
        List<Draw> out = new ArrayList<>(samples);
        for (long s = fromStep; out.size() < samples; s++) {
            List<Draw> d = Draw.forStep(config, config.batchSize(), Noise.stream(config.seed(), s, DRAWS),
                    (int) latentShape[2], (int) latentShape[1]);
            out.addAll(d.subList(0, Math.min(d.size(), samples - out.size())));
        }
        return out;
    }

    /** One whole training step; its mean loss and the loss per kind ("loss", "teacher", "self", "non-shortcut"). */
    public Map<String, Double> step() {
        return run(false).lossParts();
    }

    /** One whole training step taken apart: draws, every tensor, loss parts, EMA statistics. Close it when done. */
    public StepTrace traceStep() {
        return run(true).trace();
    }

    /** The loop's step: one step, its losses and knob values, and every {@code previewEvery} steps a preview grid. */
    @Override
    public TrainingLoop.Report advance() {
        long t0 = System.nanoTime();
        long at = step;
        Map<String, Double> parts = step();
        ScfmConfig c = config;
        log.add(new LogRow(at, parts.get("loss"), parts.get("teacher"), parts.get("self"), parts.get("non-shortcut"),
                c.optimizer().lr(), c.tSkip(), c.teacherRatio(), (System.nanoTime() - t0) / 1e9));
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", parts.get("loss"));
        metrics.put("loss_teacher", parts.get("teacher"));
        metrics.put("loss_self", parts.get("self"));
        metrics.put("t_skip", (double) c.tSkip());
        metrics.put("teacher_ratio", c.teacherRatio());
        return new TrainingLoop.Report(metrics, previewEvery > 0 && step % previewEvery == 0 ? preview(3) : null);
    }

    /** What one step left: its losses, and the trace when one was asked for. */
    private record Outcome(Map<String, Double> lossParts, StepTrace trace) {
    }

    private Outcome run(boolean keepTrace) {
        Engines.prepareThread();
        applyPendingChanges();
        ScfmConfig c = config;
        int b = c.batchSize();
        long[] shape = model.latentShape();
        List<Draw> draws = Draw.forStep(c, b, Noise.stream(c.seed(), step, DRAWS), (int) shape[2], (int) shape[1]);
        NDManager traceArrays = keepTrace ? transformer.manager().newSubManager() : null;
        try (NDManager m = transformer.manager().newSubManager();
             Lora.Scope own = lora.useAdapter(STUDENT)) {
            // data: cached teacher endpoints, fresh noise (the official code re-noises its stored images)
            SplittableRandom pick = Noise.stream(c.seed(), step, DATA);
            int[] rows = new int[b];
            for (int i = 0; i < b; i++) {
                rows[i] = pick.nextInt(data.size());
            }
            TeacherCache.Batch batch = data.batch(rows, m);                                  // the one upload
            NDArray x0 = batch.x0();                                                           // (B,C,H,W)
            NDArray noise = Noise.gaussian(m, Noise.stream(c.seed(), step, NOISE), x0.getShape());
            Conditioning cond = withGuidanceDraw(encode(batch.prompts(), m),
                    Noise.stream(c.seed(), step, GUIDANCE), m);
            Conditioning uncond = null;
            if (c.teacherCfg() != 1.0) {
                List<String> empty = Collections.nCopies(b, "");
                uncond = withGuidanceDraw(encode(empty, m),
                        Noise.stream(c.seed(), step, GUIDANCE), m);
            }
            DrawTensors d = DrawTensors.of(draws, c.tSkip(), m);
            NDArray xT = Flow.noised(x0, noise, d.sigma());                                   // (1 - s) x0 + s noise

            // the two jumps and the target, without gradients
            int half = c.tSkip() / 2;
            NDArray xMid;
            NDArray xEnd;
            NDArray target;
            try (NoGrad ng = NoGrad.enter()) {
                xMid = assemble(xT, m,
                        new Group(d.rows(Draw.Kind.TEACHER), lora::useBase),
                        new Group(d.rows(Draw.Kind.SELF), () -> lora.use(STUDENT, fast.weights())),
                        0, half, cond, uncond, d, c.teacherCfg());
                xEnd = assemble(xMid, m,
                        new Group(d.shortcutRows(), () -> lora.use(STUDENT, slow.weights())), null,
                        half, c.tSkip(), cond, uncond, d, c.teacherCfg());
                NDArray shortcut = xT.sub(xEnd).div(Flow.perSample(d.segment(), xT));       // (x_t - x'') / D
                target = Flow.where(d.isShortcut(), shortcut, Flow.velocityTarget(x0, noise));
            }

            // the student, with gradients; then AdamW, then both EMAs (outside the collector: in-place writes)
            optimizer.zeroGradients();
            NDArray[] pred = new NDArray[1];
            NDArray[] perSample = new NDArray[1];
            NDArray tgt = target;
            Backprop.lossAndGradients(transformer, xT, d.sigma(), cond, v -> {
                pred[0] = v;
                perSample[0] = Flow.perSampleMean(v.sub(tgt).square());                          // (B)
                return perSample[0].mean();
            });
            float[] losses = perSample[0].toFloatArray();                                      // B floats to the host
            double loss = mean(losses);
            if (!Double.isFinite(loss)) {
                throw new AdamW.NonFiniteException("SCFM loss is " + loss + " at step " + step
                        + "; nothing was applied (the last checkpoint stays as it was)");
            }
            Map<String, Double> parts = lossParts(draws, losses, loss);
            try (NoGrad ng = NoGrad.enter()) {
                optimizer.step(c.optimizer().lr());
                fast.update();
                slow.update();
                if (c.emaRestartEvery() > 0 && (step + 1) % c.emaRestartEvery() == 0) {
                    fast.restart();
                    slow.restart();
                }
            }
            StepTrace trace = keepTrace
                    ? StepTrace.of(step, draws, batch.prompts(), traceArrays, x0, noise, xT, xMid, xEnd, target,
                            pred[0].stopGradient(), d, parts,
                            EmaStats.of(step, List.of(WeightSet.view(student), fast.weights(), slow.weights())),
                            model.codec())
                    : null;
            step++;
            return new Outcome(parts, trace);
        } catch (RuntimeException e) {
            if (traceArrays != null) {
                traceArrays.close();
            }
            throw e;
        }
    }

    /** The prompts' conditioning by the base text encoder (no LoRA): from the cache when it holds the encoder's. */
    private Conditioning encode(List<String> prompts, NDManager m) {
        if (cachedConditioning != null) {
            return cachedConditioning.encode(prompts, m);
        }
        try (NoGrad ng = NoGrad.enter(); Lora.Scope base = Lora.of(model.textEncoder()).useBase()) {
            return model.textEncoder().encode(prompts, m);
        }
    }

    /** For a guidance-embedded model, g ~ U[0, 7.5) per sample. */
    private Conditioning withGuidanceDraw(Conditioning cond, SplittableRandom guidanceRng, NDManager m) {
        if (!transformer.takesGuidance()) {
            return cond;
        }
        float[] g = new float[cond.batchSize()];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (GUIDANCE_MAX * guidanceRng.nextDouble());
        }
        return cond.withGuidance(OwnedArrays.create(m, g));
    }

    /** The samples of one guide and the weights they jump with. */
    private record Group(int[] rows, Supplier<Lora.Scope> weights) {
    }

    /**
     * Euler sub-steps {@code from..to-1} of every sample's segment: each group's rows jump with its network, the rows
     * of no group stay where they are; the result is in batch order again.
     */
    private NDArray assemble(NDArray x, NDManager m, Group first, Group second, int from, int to, Conditioning cond,
                             Conditioning uncond, DrawTensors d, double cfg) {
        List<int[]> order = new ArrayList<>();
        NDList parts = new NDList();
        for (Group g : second == null ? List.of(first) : List.of(first, second)) {
            if (g.rows().length > 0) {
                order.add(g.rows());
                parts.add(jump(x, g, from, to, cond, uncond, d, cfg, m));
            }
        }
        int[] still = d.rowsOutside(order);
        if (still.length > 0) {
            order.add(still);
            parts.add(x.get(index(m, still)));
        }
        if (parts.size() == 1 && order.get(0).length == d.batch()) {
            return parts.get(0).get(index(m, inverse(order)));
        }
        return NDArrays.concat(parts).get(index(m, inverse(order)));
    }

    /** One group's jump: gather its rows, step them with its network, return them (rows in the group's order). */
    private NDArray jump(NDArray x, Group g, int from, int to, Conditioning cond, Conditioning uncond, DrawTensors d,
                         double cfg, NDManager m) {
        NDArray idx = index(m, g.rows());
        NDArray xs = x.get(idx);                                                              // (n,C,H,W)
        Conditioning cs = cond.select(g.rows());
        Conditioning us = uncond == null ? null : uncond.select(g.rows());
        try (Lora.Scope s = g.weights().get()) {
            for (int k = from; k < to; k++) {
                NDArray v = Guidance.velocity(transformer, xs, d.sigmaAt(k).get(idx), cs, us, cfg);
                xs = Flow.eulerStep(xs, v, d.dtAt(k).get(idx));                               // x += (s' - s) v
            }
        }
        return xs;
    }

    private static NDArray index(NDManager m, int[] rows) {
        return m.create(rows).toType(DataType.INT64, false);
    }

    /** For rows listed group after group, the position of each batch row in that listing. */
    private static int[] inverse(List<int[]> order) {
        int n = order.stream().mapToInt(r -> r.length).sum();
        int[] inv = new int[n];
        int p = 0;
        for (int[] rows : order) {
            for (int r : rows) {
                inv[r] = p++;
            }
        }
        return inv;
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static Map<String, Double> lossParts(List<Draw> draws, float[] perSample, double loss) {
        Map<String, Double> parts = new LinkedHashMap<>();
        parts.put("loss", loss);
        for (Draw.Kind kind : Draw.Kind.values()) {
            double sum = 0;
            int count = 0;
            for (int i = 0; i < draws.size(); i++) {
                if (draws.get(i).kind() == kind) {
                    sum += perSample[i];
                    count++;
                }
            }
            parts.put(kind.id(), count == 0 ? Double.NaN : sum / count);
        }
        return parts;
    }

    // ---- the training loop ----

    /**
     * Trains until {@code totalSteps} steps are done, reporting each step (loss curves split teacher/self, knob values)
     * and, every {@code previewEvery} steps, 3-step samples of the student. Checkpoints as asked; stops at a step
     * boundary when interrupted or when a loss is not finite (the last checkpoint stays as it was).
     */
    public void train(long totalSteps, ProgressListener listener, int previewEvery, TrainingLoop.Checkpoints checkpoints)
            throws IOException {
        this.previewEvery = previewEvery;
        TrainingLoop.run("scfm train", this, totalSteps, listener, checkpoints);
    }

    /**
     * Starts {@link #train} on its own thread, so a notebook stays usable: turn knobs while it runs, pause, resume,
     * stop (at a step boundary, every weight set consistent).
     */
    public org.flowlab.train.BackgroundRun<Scfm> start(long totalSteps, ProgressListener listener, int previewEvery,
                                                       TrainingLoop.Checkpoints checkpoints) {
        return org.flowlab.train.BackgroundRun.start("scfm-train", l -> {
            try {
                train(totalSteps, l, previewEvery, checkpoints);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return this;
        }, listener);
    }

    // ---- knobs: validated now, applied at the next step, logged with that step ----

    public void setTeacherRatio(double v) {
        ScfmConfig.requireProbability("teacher_ratio", v);
        queue("teacher_ratio", config.teacherRatio(), v, () -> config = config.toBuilder().teacherRatio(v).build());
    }

    public void setTSkip(int v) {
        ScfmConfig.requireTSkip(v, config.teacherMinSteps());
        if (config.teacherMaxSteps() % v != 0) {
            throw new IllegalArgumentException("t_skip " + v + " must divide the teacher grid " + config.teacherMaxSteps());
        }
        queue("t_skip", config.tSkip(), v, () -> config = config.toBuilder().tSkip(v).build());
    }

    public void setNonShortcutRatio(double v) {
        ScfmConfig.requireProbability("non_shortcut_ratio", v);
        queue("non_shortcut_ratio", config.nonShortcutRatio(), v, () -> config = config.toBuilder().nonShortcutRatio(v).build());
    }

    public void setEmaDecays(double fastDecay, double slowDecay) {
        config.toBuilder().decays(fastDecay, slowDecay).build(); // validates
        queue("ema_decays", config.fastDecay() + "/" + config.slowDecay(), fastDecay + "/" + slowDecay, () -> {
            config = config.toBuilder().decays(fastDecay, slowDecay).build();
            fast.setDecay(fastDecay);
            slow.setDecay(slowDecay);
        });
    }

    public void setEmaRestartEvery(int k) {
        config.toBuilder().emaRestartEvery(k).build(); // validates
        queue("ema_restart_every", config.emaRestartEvery(), k, () -> config = config.toBuilder().emaRestartEvery(k).build());
    }

    public void setLr(double lr) {
        var o = config.optimizer().withLr(lr); // validates
        queue("lr", config.optimizer().lr(), lr, () -> {
            config = config.toBuilder().optimizer(o).build();
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
        List<Change> cs;
        synchronized (changes) {
            cs = List.copyOf(changes);
        }
        return Table.create("SCFM knob changes").addColumns(
                LongColumn.create("step", cs.stream().mapToLong(Change::step).toArray()),
                StringColumn.create("knob", cs.stream().map(Change::knob)),
                StringColumn.create("from", cs.stream().map(Change::from)),
                StringColumn.create("to", cs.stream().map(Change::to)));
    }

    /** The run log: one row per step, with the knob values it ran under. */
    public Table log() {
        List<LogRow> rows = logRows();
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
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    // ---- inference and files ----

    /** Standard Euler on the model's schedule with the student: what the distilled LoRA is for. */
    public static SamplingPlan inferencePlan(DiffusionModel model, int steps, double shift) {
        return SamplingPlan.of(model.schedule(steps, shift), STUDENT).withLabel("SCFM@" + steps);
    }

    /**
     * SCFM per Glance phase: the first {@code slowSteps} steps with one phase's student, the rest with the other's,
     * on one schedule. Each student should have been trained on its side of {@link #phaseSplit}.
     */
    public static SamplingPlan phasedInferencePlan(DiffusionModel model, int steps, double shift, int slowSteps,
                                                   String slowAdapter, String fastAdapter) {
        if (slowSteps < 1 || slowSteps >= steps) {
            throw new IllegalArgumentException(slowSteps + " slow steps of " + steps + ": give 1 to " + (steps - 1));
        }
        return SamplingPlan.phases(model.schedule(steps, shift), List.of(new SamplingPlan.Phase(slowAdapter, slowSteps),
                new SamplingPlan.Phase(fastAdapter, steps - slowSteps))).withLabel("SCFM-phased@" + steps);
    }

    /** The sigma where {@link #phasedInferencePlan} switches students: the two phases' common boundary. */
    public static double phaseSplit(DiffusionModel model, int steps, double shift, int slowSteps) {
        return model.schedule(steps, shift).sigma(slowSteps);
    }

    /** The student's samples of four fixed cached prompts at {@code steps} steps (shift 3), as a captioned grid. */
    public org.flowlab.viz.ImageGrid preview(int steps) {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < Math.min(4, data.size()); i++) {
            prompts.add(data.entries().get(i * Math.max(1, data.size() / 4)).prompt());
        }
        try (NDManager m = transformer.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            Pipeline.Request request = Pipeline.Request.of(inferencePlan(model, steps, 3.0));
            long[] seeds = new long[prompts.size()];
            // the cache's conditioning when it is this model's: a preview loads no text encoder either
            NDArray latents = cachedConditioning != null
                    ? Pipeline.latents(model, request, prompts, seeds, m, ProgressListener.NONE, cachedConditioning).images()
                    : Pipeline.latents(model, request, prompts, seeds, m, ProgressListener.NONE).images();
            NDArray images = model.codec().decode(latents);
            return org.flowlab.viz.ImageGrid.of(images.toFloatArray(), images.getShape().getShape())
                    .captions(prompts.stream().map(p -> p.replace(" background", "")).toList())
                    .title("student @" + steps + " steps, step " + step);
        }
    }

    /** The student as a PEFT LoRA file with its recommended inference settings in the metadata. */
    public void exportStudent(Path file, int steps, double shift, double loraScale) throws IOException {
        exportStudent(file, new ScfmConfig.Inference(steps, shift, loraScale, Double.NaN));
    }

    /** The same with a guidance-embedding value too (Flux-dev students). */
    public void exportStudent(Path file, ScfmConfig.Inference inference) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("flowlab.method", "scfm");
        meta.put("flowlab.recommended.steps", Integer.toString(inference.steps()));
        meta.put("flowlab.recommended.shift", Double.toString(inference.shift()));
        meta.put("flowlab.recommended.lora_scale", Double.toString(inference.loraScale()));
        if (!Double.isNaN(inference.guidance())) {
            meta.put("flowlab.recommended.guidance", Double.toString(inference.guidance()));
        }
        meta.put("flowlab.steps_trained", Long.toString(step));
        if (!config.phase().isWhole()) {
            meta.put("flowlab.phase", config.phase().high() + "," + config.phase().low());
        }
        LoraFiles.export(student, file, meta);
    }

    /** Student, both EMAs, optimizer moments, step, seed and knob values (JSON), in one atomic file. */
    @Override
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
        meta.put("ema_updates", new Gson().toJson(Map.of("fast", fast.updates(), "slow", slow.updates())));
        meta.put("knobs", new Gson().toJson(Knobs.of(config)));
        Checkpoint.save(file, t, meta);
    }

    /** Continues from {@link #save}: values, both EMAs, moments, step and knob values (names and shapes checked). */
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
        Knobs knobs = new Gson().fromJson(c.metadata().get("knobs"), Knobs.class);
        @SuppressWarnings("unchecked")
        Map<String, Double> updates = new Gson().fromJson(c.metadata().get("ema_updates"), Map.class);
        try (NoGrad ng = NoGrad.enter(); NDManager tmp = transformer.manager().newSubManager()) {
            for (Parameter p : student.parameters().all()) {
                p.copyFrom(c.tensor("student." + p.name()).toNDArray(tmp));
                fast.weights().get(p.name()).set(new ai.djl.ndarray.index.NDIndex("..."),
                        c.tensor("ema.fast." + p.name()).toNDArray(tmp));
                slow.weights().get(p.name()).set(new ai.djl.ndarray.index.NDIndex("..."),
                        c.tensor("ema.slow." + p.name()).toNDArray(tmp));
            }
        }
        optimizer.restore(c.tensors(), Long.parseLong(c.metadata().get("adam_steps")));
        fast.restoreUpdates(updates.get("fast").longValue());
        slow.restoreUpdates(updates.get("slow").longValue());
        config = knobs.applyTo(config);
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
