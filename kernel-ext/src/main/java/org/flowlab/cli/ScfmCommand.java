package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.data.ShapeAttributes;
import org.flowlab.data.ToyWorld;
import org.flowlab.nn.Engines;
import org.flowlab.nn.ToyDiT;
import org.flowlab.scfm.Draw;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.StepTrace;
import org.flowlab.scfm.TeacherCache;
import org.flowlab.train.OptimizerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowlab scfm pregen | train | plan | step}. */
@Command(name = "scfm", mixinStandardHelpOptions = true,
        description = "SCFM: shortcut self-distillation of the teacher into one LoRA for 3-8 step sampling.",
        subcommands = {ScfmCommand.Pregen.class, ScfmCommand.Train.class, ScfmCommand.Plan.class, ScfmCommand.Step.class})
final class ScfmCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** The knobs shared by train, plan and step (defaults: the released scripts). */
    static final class Knobs {
        @Option(names = "--t-skip", description = "sub-steps per segment, even (default: 2)")
        int tSkip = 2;

        @Option(names = "--teacher-ratio", description = "probability of a teacher-guided first jump (default: 0.4)")
        double teacherRatio = 0.4;

        @Option(names = "--non-shortcut-ratio", description = "share of plain flow-matching samples (default: 0)")
        double nonShortcutRatio = 0;

        @Option(names = "--batch", description = "samples per step (default: 8)")
        int batch = 8;

        @Option(names = "--rank", description = "LoRA rank; alpha = rank (default: 64)")
        int rank = 64;

        @Option(names = "--lr", description = "learning rate (default: 2e-5, the released value)")
        double lr = 2e-5;

        @Option(names = "--ema-restart-every", description = "restart both EMAs every K steps, 0 = never (default: 0)")
        int restart = 0;

        @Option(names = "--teacher-cfg", description = "CFG weight in teacher and EMA passes, 1 = off (default: 1)")
        double cfg = 1.0;

        @Option(names = "--seed", description = "every draw (default: 0)")
        long seed = 0;

        ScfmConfig config() {
            return ScfmConfig.official().withTSkip(tSkip).withTeacherRatio(teacherRatio).withNonShortcutRatio(nonShortcutRatio)
                    .withBatchSize(batch).withLora(rank, rank).withOptimizer(OptimizerConfig.scfm().withLr(lr))
                    .withEmaRestartEvery(restart).withSeed(seed).withTeacherCfg(cfg);
        }
    }

    @Command(name = "pregen", mixinStandardHelpOptions = true, sortOptions = false,
            description = "The teacher generates the training set: --prompts held-in prompts x --per-prompt samples,"
                    + " 32 Euler steps, into --out (resumable; run again to complete an interrupted cache).")
    static final class Pregen implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--prompts", description = "how many held-in prompts (default: ${DEFAULT-VALUE})")
        int prompts = 96;

        @Option(names = "--per-prompt", description = "samples per prompt (default: ${DEFAULT-VALUE})")
        int perPrompt = 2;

        @Option(names = "--steps", description = "teacher Euler steps (default: ${DEFAULT-VALUE})")
        int steps = 32;

        @Option(names = "--shift", description = "teacher schedule shift (default: " + ToyWorld.DEFAULT_SHIFT + ")")
        double shift = ToyWorld.DEFAULT_SHIFT;

        @Option(names = "--cfg", description = "teacher CFG weight, 1 = off (default: ${DEFAULT-VALUE})")
        double cfg = 1.0;

        @Option(names = "--seed", description = "prompt choice and noise (default: ${DEFAULT-VALUE})")
        long seed = 0;

        @Option(names = "--out", required = true, description = "cache directory")
        Path out;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            TeacherCache.Settings settings = new TeacherCache.Settings(steps, shift, cfg);
            List<String> list = ToyWorld.heldInPrompts(prompts, seed).stream().map(ShapeAttributes::caption).toList();
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            long t0 = System.nanoTime();
            try (ToyDiT teacher = model.load()) {
                TeacherCache c = TeacherCache.pregenerate(teacher, list, perPrompt, seed * 1_000_000, settings, out,
                        new ConsoleProgress(err, 5));
                err.printf(Locale.ROOT, "%d teacher samples in %s (%.1f s)%n", c.size(), out, (System.nanoTime() - t0) / 1e9);
                err.flush();
            }
            return 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Distil the student LoRA from a pre-generated cache. Writes student.safetensors (PEFT keys,"
                    + " recommended inference settings in its metadata), checkpoint.safetensors, log.csv and changes.csv.")
    static final class Train implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", required = true, description = "a cache written by scfm pregen")
        Path data;

        @Option(names = "--steps", description = "training steps (default: ${DEFAULT-VALUE})")
        long steps = 2000;

        @Mixin
        Knobs knobs;

        @Option(names = "--checkpoint-every", description = "steps between checkpoints (default: ${DEFAULT-VALUE})")
        int every = 250;

        @Option(names = "--infer-steps", description = "recommended sampling steps stored with the LoRA (default: 3)")
        int inferSteps = 3;

        @Option(names = "--infer-shift", description = "recommended sampling shift (default: 3)")
        double inferShift = 3.0;

        @Option(names = "--infer-scale", description = "recommended LoRA scale (default: 1)")
        double inferScale = 1.0;

        @Option(names = "--out", required = true, description = "output directory")
        Path out;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            ScfmConfig config = knobs.config(); // bad knobs fail before anything loads
            TeacherCache cache = TeacherCache.open(data);
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            java.nio.file.Files.createDirectories(out);
            Path ckpt = out.resolve("checkpoint.safetensors");
            long t0 = System.nanoTime();
            try (ToyDiT teacher = model.load(); Scfm scfm = new Scfm(teacher, cache, config)) {
                if (java.nio.file.Files.exists(ckpt)) {
                    scfm.resume(ckpt);
                    err.println("resuming from " + ckpt + " at step " + scfm.stepsDone());
                }
                try {
                    scfm.train(steps, new ConsoleProgress(err, 15), 0, ckpt, every);
                } finally {
                    scfm.log().write().csv(out.resolve("log.csv").toFile());
                    scfm.changes().write().csv(out.resolve("changes.csv").toFile());
                }
                scfm.exportStudent(out.resolve("student.safetensors"), inferSteps, inferShift, inferScale);
                err.printf(Locale.ROOT, "trained %d steps in %.1f minutes -> %s%n", scfm.stepsDone(),
                        (System.nanoTime() - t0) / 60e9, out.resolve("student.safetensors"));
                err.flush();
            }
            return 0;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
            description = "The draws a run would make (kind, n, j, sigma, d0, d1, shift), without touching a model.")
    static final class Plan implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--samples", description = "how many samples (default: ${DEFAULT-VALUE})")
        int samples = 16;

        @Mixin
        Knobs knobs;

        @Option(names = "--json", description = "one JSON object per line (the default output)")
        boolean json = true;

        @Override
        public Integer call() {
            if (samples < 1) {
                throw new IllegalArgumentException("--samples " + samples + " is not allowed; use 1 or more");
            }
            PrintWriter out = spec.commandLine().getOut();
            for (Draw d : Scfm.plan(knobs.config(), samples, 0, new long[] {3, 32, 32})) {
                out.println(d.toJson());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "step", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Take one SCFM step and write it apart to --trace (safetensors: x_t, v1, x_mid, v2, x_end,"
                    + " target, pred; the draws as JSON in the metadata).")
    static final class Step implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", required = true, description = "a cache written by scfm pregen")
        Path data;

        @Option(names = "--trace", required = true, description = "output .safetensors file")
        Path trace;

        @Mixin
        Knobs knobs;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            ScfmConfig config = knobs.config();
            TeacherCache cache = TeacherCache.open(data);
            Engines.prepareThread();
            try (ToyDiT teacher = model.load(); Scfm scfm = new Scfm(teacher, cache, config)) {
                StepTrace t = scfm.step(true);
                t.save(trace);
                spec.commandLine().getErr().print(t);
                spec.commandLine().getErr().flush();
            }
            return 0;
        }
    }

}
