package org.flowlab.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.toy.ToyTeacher;
import org.flowlab.io.DType;
import org.flowlab.toy.ToyModelFiles;
import org.flowlab.model.Engines;
import org.flowlab.model.DiffusionModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowlab teacher train}: reproduces the shipped toy teacher (or trains a variant). */
@Command(name = "teacher", mixinStandardHelpOptions = true, description = "The toy world's pre-trained teacher.",
        subcommands = TeacherCommand.Train.class)
final class TeacherCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Train the toy teacher by flow matching on held-in captioned shapes. Checkpoints as it goes;"
                    + " run the same command again to resume after an interrupt.")
    static final class Train implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
        long steps = ToyTeacher.Recipe.shipped().steps();

        @Option(names = "--batch", description = "images per step (default: ${DEFAULT-VALUE})")
        int batch = ToyTeacher.Recipe.shipped().batchSize();

        @Option(names = "--seed", description = "weights, data and draws (default: ${DEFAULT-VALUE})")
        long seed = ToyTeacher.Recipe.shipped().seed();

        @Option(names = "--out", description = "weights file (default: ${DEFAULT-VALUE})")
        Path out = Path.of("models/toy-teacher.safetensors");

        @Option(names = "--checkpoint", description = "checkpoint file (default: OUT with .ckpt)")
        Path checkpoint;

        @Option(names = "--checkpoint-every", description = "steps between checkpoints (default: ${DEFAULT-VALUE})")
        int every = 500;

        @Option(names = "--world", description = "shapes (the first world: 32x32 pixels) or scenes (the second: 64x64"
                + " scenes with open captions, on pixels or on --codec's latents) (default: ${DEFAULT-VALUE})")
        String world = "shapes";

        @Option(names = "--codec", description = "the VAE folder for --world scenes on latents (flowlab codec train);"
                + " without it the teacher works on pixels")
        Path codec;

        @Option(names = "--latents", description = "training scenes encoded once, up front, for --world scenes with"
                + " --codec (default: 20000); on pixels the teacher sees fresh scenes every step")
        Integer latents;

        @Option(names = "--width", description = "transformer width, heads of 32 channels (default: the world's preset)")
        Integer width;

        @Option(names = "--depth", description = "transformer blocks (default: the world's preset)")
        Integer depth;

        @Option(names = "--prediction", description = "what the network outputs: velocity, or sample (the clean image,"
                + " turned into a velocity; default: the world's preset, sample for scenes on pixels)")
        String prediction;

        @Override
        public Integer call() throws Exception {
            if (steps < 1 || batch < 1) {
                throw new IllegalArgumentException("--steps " + steps + " and --batch " + batch + " must be 1 or more");
            }
            boolean scenes = switch (world) {
                case "shapes" -> false;
                case "scenes" -> true;
                default -> throw new IllegalArgumentException("--world " + world + " is not shapes or scenes");
            };
            if (!scenes && codec != null) {
                throw new IllegalArgumentException("--codec " + codec + " is for --world scenes; the first world trains"
                        + " on its 32x32 pixels");
            }
            if (latents != null && (codec == null || latents < 1)) {
                throw new IllegalArgumentException("--latents " + latents + ": give 1 or more, with --codec");
            }
            int encoded = codec == null ? 0 : latents != null ? latents : 20000;
            Engines.prepareThread();
            ToyTeacher.Recipe shipped = ToyTeacher.Recipe.shipped();
            org.flowlab.toy.DiTConfig net = !scenes ? shipped.model() : codec != null
                    ? org.flowlab.toy.DiTConfig.scenes() : org.flowlab.toy.DiTConfig.scenePixels();
            if (width != null || depth != null) {
                int w = width != null ? width : net.width();
                if (w < 32 || w % 32 != 0) {
                    throw new IllegalArgumentException("--width " + w + " must be a multiple of 32 (heads of 32 channels)");
                }
                if (depth != null && depth < 1) {
                    throw new IllegalArgumentException("--depth " + depth + " must be 1 or more");
                }
                net = net.withSize(w, depth != null ? depth : net.depth(), w / 32);
            }
            if (prediction != null) {
                net = net.withSamplePrediction(switch (prediction) {
                    case "velocity" -> false;
                    case "sample" -> true;
                    default -> throw new IllegalArgumentException("--prediction " + prediction + " is not velocity or sample");
                });
            }
            ToyTeacher.Recipe recipe = new ToyTeacher.Recipe(steps, batch, seed, net, shipped.optimizer());
            Path ckpt = checkpoint != null ? checkpoint : Path.of(out + ".ckpt");
            long start = System.nanoTime();
            var err = spec.commandLine().getErr();
            err.println("training " + recipe + " on " + Engines.describe() + "; checkpoint " + ckpt);
            err.flush();
            try (DiffusionModel model = scenes
                    ? ToyTeacher.trainOnScenes(recipe, sceneCodec(), encoded, ckpt, every, new ConsoleProgress(err, 30))
                    : ToyTeacher.train(recipe, ckpt, every, new ConsoleProgress(err, 30))) {
                double minutes = (System.nanoTime() - start) / 60e9;
                Map<String, String> provenance = new LinkedHashMap<>();
                provenance.put("flowlab.command", "./flowlab teacher train --steps " + steps + " --batch " + batch
                        + " --seed " + seed + (width != null ? " --width " + width : "")
                        + (depth != null ? " --depth " + depth : "") + (prediction != null ? " --prediction " + prediction : "") + (scenes ? " --world scenes" + (codec != null ? " --codec " + codec + " --latents " + encoded : "") : ""));
                provenance.put("flowlab.seed", Long.toString(seed));
                provenance.put("flowlab.steps", Long.toString(steps));
                provenance.put("flowlab.minutes_this_session", String.format(Locale.ROOT, "%.1f", minutes));
                provenance.put("flowlab.trained_at", Instant.now().toString());
                provenance.put("flowlab.machine", VersionInfo.machine());
                ToyModelFiles.save(model, out, provenance, DType.F16);
                err.printf(Locale.ROOT, "wrote %s (%s) after %.1f minutes%n", out, model.describe(), minutes);
                err.flush();
            }
            return 0;
        }

        /** The VAE of --codec, else the identity on the scenes' pixels. */
        private org.flowlab.model.LatentCodec sceneCodec() throws java.io.IOException {
            int size = org.flowlab.toy.scenes.Scenes.SIZE;
            return codec != null ? org.flowlab.diffusers.AutoencoderKL.load(codec, null, Engines.device("cpu"), size, size)
                    : org.flowlab.model.LatentCodec.identity(org.flowlab.toy.scenes.Scenes.CHANNELS, size, size);
        }
    }
}
