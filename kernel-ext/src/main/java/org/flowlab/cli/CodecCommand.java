package org.flowlab.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.diffusers.AutoencoderKL;
import org.flowlab.diffusers.AutoencoderKLTraining;
import org.flowlab.model.Engines;
import org.flowlab.toy.scenes.SceneClassifier;
import org.flowlab.toy.scenes.SceneMetrics;
import org.flowlab.toy.scenes.Scenes;
import org.flowlab.train.OptimizerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code flowlab codec train}: the second toy world's VAE, a diffusers AutoencoderKL trained on its scenes. */
@Command(name = "codec", mixinStandardHelpOptions = true, description = "The toy world's latent codec.",
        subcommands = {CodecCommand.Train.class, CodecCommand.Eval.class})
final class CodecCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Train an AutoencoderKL (64x64x3 scenes to latents 4x smaller per side) on the second toy"
                    + " world, fit its scaling and shift factors, and write a diffusers vae/ folder to --out"
                    + " (config.json, diffusion_pytorch_model.safetensors) with loss.csv.")
    static final class Train implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
        int steps = 2000;

        @Option(names = "--batch", description = "images per step (default: ${DEFAULT-VALUE})")
        int batch = 16;

        @Option(names = "--channels", split = ",", description = "block_out_channels, one down block each"
                + " (default: 32,64,64: latents 16x16)")
        int[] channels = {32, 64, 64};

        @Option(names = "--latent-channels", description = "latent channels (default: ${DEFAULT-VALUE})")
        int latentChannels = 4;

        @Option(names = "--lr", description = "learning rate (default: ${DEFAULT-VALUE})")
        double lr = 1e-3;

        @Option(names = "--seed", description = "data and noise (default: ${DEFAULT-VALUE})")
        long seed = 0;

        @Option(names = "--device", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
        String device = "cpu";

        @Option(names = "--out", required = true, description = "the vae/ folder to write")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (channels.length < 1 || latentChannels < 1 || Math.min(steps, batch) < 1) {
                throw new IllegalArgumentException("--channels, --latent-channels, --steps and --batch must be positive");
            }
            if (Scenes.SIZE % (1 << (channels.length - 1)) != 0) {
                throw new IllegalArgumentException("--channels: " + channels.length + " blocks downscale by "
                        + (1 << (channels.length - 1)) + ", which does not divide " + Scenes.SIZE);
            }
            int groups = Math.min(32, channels[0]);
            for (int c : channels) {
                if (c % groups != 0) {
                    throw new IllegalArgumentException("--channels " + c + " is not a multiple of the " + groups
                            + " GroupNorm groups");
                }
            }
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            JsonObject config = new JsonObject();
            JsonArray block = new JsonArray();
            JsonArray down = new JsonArray();
            JsonArray up = new JsonArray();
            for (int c : channels) {
                block.add(c);
                down.add("DownEncoderBlock2D");
                up.add("UpDecoderBlock2D");
            }
            config.add("block_out_channels", block);
            config.add("down_block_types", down);
            config.add("up_block_types", up);
            config.addProperty("latent_channels", latentChannels);
            config.addProperty("norm_num_groups", groups);
            config.addProperty("layers_per_block", 1);
            config.addProperty("in_channels", Scenes.CHANNELS);
            config.addProperty("out_channels", Scenes.CHANNELS);
            config.addProperty("sample_size", Scenes.SIZE);
            long t0 = System.nanoTime();
            try (AutoencoderKL vae = AutoencoderKL.random(config, Engines.device(device), Scenes.SIZE, Scenes.SIZE)) {
                var c = new AutoencoderKLTraining.Config(steps, batch,
                        new OptimizerConfig(lr, 0.9, 0.999, 0.0, 1e-8, 1.0, Math.min(100, steps / 10), false, 0), 1e-6,
                        seed);
                var losses = AutoencoderKLTraining.train(vae, Scenes.trainingSource(seed), c, new ConsoleProgress(err, 15));
                List<Scenes.Sample> held = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    held.add(Scenes.sample(10_000_000 + i, seed));
                }
                try (NDManager m = vae.manager().newSubManager()) {
                    AutoencoderKLTraining.fitFactors(vae, Scenes.batch(held, m));
                }
                vae.save(out);
                StringBuilder csv = new StringBuilder("step,reconstruction_mse,kl\n");
                losses.forEach(l -> csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f%n", l.step(), l.reconstruction(),
                        l.kl())));
                Files.writeString(out.resolve("loss.csv"), csv, StandardCharsets.UTF_8);
                double tail = losses.subList(Math.max(0, losses.size() - 50), losses.size()).stream()
                        .mapToDouble(AutoencoderKLTraining.StepLoss::reconstruction).average().orElse(Double.NaN);
                err.printf(Locale.ROOT, "trained %d steps in %.1f min; reconstruction MSE (last 50 steps) %.5f"
                        + " (PSNR %.1f dB); scaling %.4f, shift %.4f -> %s%n", steps, (System.nanoTime() - t0) / 60e9,
                        tail, 10 * Math.log10(4 / tail), vae.scalingFactor(), vae.shiftFactor(), out);
                err.flush();
            }
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
            description = "How much of a scene survives the codec's round trip: PSNR and the scene classifier's"
                    + " adherence on fresh scenes and on their reconstructions.")
    static final class Eval implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--codec", required = true, description = "the vae/ folder (flowlab codec train)")
        Path codec;

        @Option(names = "--classifier", description = "the judge (default: models/scene-classifier.safetensors)")
        Path classifier;

        @Option(names = "--scenes", description = "fresh scenes to encode and decode (default: ${DEFAULT-VALUE})")
        int scenes = 512;

        @Option(names = "--seed", description = "which scenes (default: ${DEFAULT-VALUE})")
        long seed = 1;

        @Override
        public Integer call() throws Exception {
            if (scenes < 1) {
                throw new IllegalArgumentException("--scenes " + scenes + " must be 1 or more");
            }
            Engines.prepareThread();
            var device = Engines.device("cpu");
            try (AutoencoderKL vae = AutoencoderKL.load(codec, null, device, Scenes.SIZE, Scenes.SIZE);
                 SceneClassifier judge = classifier != null ? SceneClassifier.load(classifier, device)
                         : SceneClassifier.loadShipped(device)) {
                var f = SceneMetrics.codecFidelity(vae, judge, scenes, seed);
                PrintWriter out = spec.commandLine().getOut();
                out.printf(Locale.ROOT, "%d scenes: PSNR %.2f dB; adherence on the originals %.4f, on the"
                        + " reconstructions %.4f%n", f.scenes(), f.psnrDb(), f.adherenceOriginal(), f.adherenceReconstructed());
                out.flush();
            }
            return 0;
        }
    }
}
