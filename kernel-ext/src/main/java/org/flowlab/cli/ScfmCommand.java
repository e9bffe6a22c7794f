package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.scfm.Draw;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.StepTrace;
import org.flowlab.scfm.TeacherCache;
import org.flowlab.toy.ToyModel;
import org.flowlab.train.TrainingLoop;
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

    /**
     * The knobs shared by train, plan and step. Unset ones take the model family's released recipe
     * ({@link ScfmConfig#forModel}: the Flux script's, with SD3.5's clip, CFG and restart on SD3).
     */
    static final class Knobs {
        private static final ScfmConfig OFFICIAL = ScfmConfig.official();

        @Option(names = "--t-skip", description = "sub-steps per segment, even (default: 2)")
        Integer tSkip;

        @Option(names = "--teacher-ratio", description = "probability of a teacher-guided first jump (default: 0.4)")
        Double teacherRatio;

        @Option(names = "--non-shortcut-ratio", description = "share of plain flow-matching samples (default: 0)")
        Double nonShortcutRatio;

        @Option(names = "--batch", description = "samples per step (default: 8)")
        Integer batch;

        @Option(names = "--rank", description = "LoRA rank; alpha = rank (default: 64)")
        Integer rank;

        @Option(names = "--lr", description = "learning rate (default: 2e-5, the released value)")
        Double lr;

        @Option(names = "--ema-restart-every", description = "restart both EMAs every K steps, 0 = never (default: 0;"
                + " SD3: 2000)")
        Integer restart;

        @Option(names = "--teacher-cfg", description = "CFG weight in teacher and EMA passes, 1 = off (default: 1;"
                + " SD3: 3.5)")
        Double cfg;

        @Option(names = "--seed", description = "every draw (default: 0)")
        Long seed;

        @Option(names = "--phase", split = ",", paramLabel = "HIGH,LOW", description = "train only on segments with"
                + " sigmas between HIGH and LOW, e.g. 1,0.6 for the slow phase of a phased student (default: 1,0)")
        double[] phase;

        /** The knobs over the official recipe: bad values fail here, before a model loads. */
        ScfmConfig config() {
            return config(OFFICIAL);
        }

        /** The knobs given over {@code recipe} (the model family's). */
        ScfmConfig config(ScfmConfig recipe) {
            ScfmConfig.Builder b = recipe.toBuilder();
            if (tSkip != null) {
                b.tSkip(tSkip);
            }
            if (teacherRatio != null) {
                b.teacherRatio(teacherRatio);
            }
            if (nonShortcutRatio != null) {
                b.nonShortcutRatio(nonShortcutRatio);
            }
            if (batch != null) {
                b.batchSize(batch);
            }
            if (rank != null) {
                b.lora(rank, rank);
            }
            if (lr != null) {
                b.lr(lr);
            }
            if (restart != null) {
                b.emaRestartEvery(restart);
            }
            if (cfg != null) {
                b.teacherCfg(cfg);
            }
            if (seed != null) {
                b.seed(seed);
            }
            if (phase != null) {
                if (phase.length != 2) {
                    throw new IllegalArgumentException("--phase " + java.util.Arrays.toString(phase)
                            + " needs two sigmas, HIGH,LOW (e.g. 1,0.6)");
                }
                b.phase(new ScfmConfig.Phase(phase[0], phase[1]));
            }
            return b.build();
        }
    }

    @Command(name = "pregen", mixinStandardHelpOptions = true, sortOptions = false,
            description = "The teacher generates the training set: --prompts held-in prompts x --per-prompt samples,"
                    + " 32 Euler steps, into --out (resumable; run again to complete an interrupted cache).")
    static final class Pregen implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--prompts", description = "a file with one prompt per line, or how many held-in prompts of"
                + " the toy model's world (default: ${DEFAULT-VALUE})")
        String prompts = "96";

        @Option(names = "--per-prompt", description = "samples per prompt (default: ${DEFAULT-VALUE})")
        int perPrompt = 2;

        @Option(names = "--steps", description = "teacher Euler steps (default: ${DEFAULT-VALUE})")
        int steps = 32;

        @Option(names = "--shift", description = "teacher schedule shift (default: the model's)")
        Double shift;

        @Option(names = "--seed", description = "prompt choice and noise (default: ${DEFAULT-VALUE})")
        long seed = 0;

        @Option(names = "--out", required = true, description = "cache directory")
        Path out;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            List<String> fromFile = promptFile();
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            long t0 = System.nanoTime();
            try (DiffusionModel teacher = model.load()) {
                List<String> list = fromFile != null ? fromFile
                        : ToyModel.heldInPrompts(teacher, Integer.parseInt(prompts), seed);
                list.forEach(p -> teacher.textEncoder().notes(p).forEach(n -> err.println("warning: " + n)));
                TeacherCache.Settings settings = new TeacherCache.Settings(steps,
                        shift != null ? shift : teacher.defaults().shift(), teacher.defaults().cfg()); // --cfg, else the model's
                TeacherCache c = TeacherCache.pregenerate(teacher, list, perPrompt, seed * 1_000_000, settings, out,
                        new ConsoleProgress(err, 5));
                err.printf(Locale.ROOT, "%d teacher samples in %s (%.1f s): %d generated and %d prompt(s) encoded this"
                        + " run, the rest read back%n", c.size(), out, (System.nanoTime() - t0) / 1e9, c.samplesGenerated(),
                        c.promptsEncoded());
                err.flush();
            }
            return 0;
        }

        /** The prompts of a --prompts file; null when --prompts is a count of the toy world's held-in prompts. */
        private List<String> promptFile() throws java.io.IOException {
            if (prompts.matches("\\d+")) {
                return null;
            }
            Path file = Path.of(prompts);
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--prompts " + prompts + " is neither a count nor a prompt file");
            }
            List<String> lines = java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8).stream()
                    .map(String::trim).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) {
                throw new IllegalArgumentException("--prompts " + file + " holds no prompts");
            }
            return lines;
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

        @Option(names = "--infer-steps", description = "recommended sampling steps stored with the LoRA (default:"
                + " the family's: Flux 5, SD3 4, toy 3)")
        Integer inferSteps;

        @Option(names = "--infer-shift", description = "recommended sampling shift (default: Flux 3.25, SD3 and toy 3)")
        Double inferShift;

        @Option(names = "--infer-scale", description = "recommended LoRA scale (default: Flux 1.6, else 1)")
        Double inferScale;

        @Option(names = "--infer-guidance", description = "recommended guidance-embedding value, for a model that"
                + " takes one (default: Flux 5)")
        Double inferGuidance;

        @Option(names = "--out", required = true, description = "output directory")
        Path out;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            knobs.config(); // bad knobs fail before anything loads
            TeacherCache cache = TeacherCache.open(data);
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            Path ckpt = out.resolve("checkpoint.safetensors");
            long t0 = System.nanoTime();
            try (DiffusionModel teacher = model.load();
                 Scfm scfm = new Scfm(teacher, cache, knobs.config(ScfmConfig.forModel(teacher)))) {
                err.println(scfm.usesCachedConditioning() ? "prompt conditioning: from the cache (no text encoder runs)"
                        : "prompt conditioning: the cache holds none by this model's text encoder; encoding each step");
                java.nio.file.Files.createDirectories(out); // only once the model and the cache fit together
                if (java.nio.file.Files.exists(ckpt)) {
                    scfm.resume(ckpt);
                    err.println("resuming from " + ckpt + " at step " + scfm.stepsDone());
                }
                try {
                    scfm.train(steps, new ConsoleProgress(err, 15), 0, new TrainingLoop.Checkpoints(ckpt, every));
                } finally {
                    scfm.log().write().csv(out.resolve("log.csv").toFile());
                    scfm.changes().write().csv(out.resolve("changes.csv").toFile());
                }
                ScfmConfig.Inference recommended = ScfmConfig.inferenceFor(teacher);
                scfm.exportStudent(out.resolve("student.safetensors"), new ScfmConfig.Inference(
                        inferSteps != null ? inferSteps : recommended.steps(),
                        inferShift != null ? inferShift : recommended.shift(),
                        inferScale != null ? inferScale : recommended.loraScale(),
                        inferGuidance != null ? inferGuidance : recommended.guidance()));
                err.printf(Locale.ROOT, "trained %d steps in %.1f minutes -> %s%n", scfm.stepsDone(),
                        (System.nanoTime() - t0) / 60e9, out.resolve("student.safetensors"));
                err.flush();
            }
            return 0;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
            description = "The draws a run would make (kind, n, j, sigma, d0, d1, shift); the model is read for its"
                    + " latent size only.")
    static final class Plan implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ModelOptions model;

        @Option(names = "--samples", description = "how many samples (default: ${DEFAULT-VALUE})")
        int samples = 16;

        @Mixin
        Knobs knobs;

        @Option(names = "--json", description = "one JSON object per line (the default output)")
        boolean json = true;

        @Override
        public Integer call() throws Exception {
            if (samples < 1) {
                throw new IllegalArgumentException("--samples " + samples + " is not allowed; use 1 or more");
            }
            knobs.config();
            long[] latent;
            ScfmConfig config;
            try (DiffusionModel m = model.load()) {
                latent = m.latentShape();
                config = knobs.config(ScfmConfig.forModel(m));
            }
            PrintWriter out = spec.commandLine().getOut();
            for (Draw d : Scfm.plan(config, samples, 0, latent)) {
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
            knobs.config();
            TeacherCache cache = TeacherCache.open(data);
            Engines.prepareThread();
            try (DiffusionModel teacher = model.load();
                 Scfm scfm = new Scfm(teacher, cache, knobs.config(ScfmConfig.forModel(teacher)));
                 StepTrace t = scfm.traceStep()) {
                t.save(trace);
                spec.commandLine().getErr().print(t);
                spec.commandLine().getErr().flush();
            }
            return 0;
        }
    }
}
