package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.data.ImageFolder;
import org.flowlab.glance.Glance;
import org.flowlab.glance.GlanceRun;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.schedule.CustomTimesteps;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.SchedulePreset;
import org.flowlab.toy.ToyShapes;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowlab glance train | sample}. */
@Command(name = "glance", mixinStandardHelpOptions = true,
        description = "Glance: a slow and a fast LoRA from one image; 10-step two-phase sampling.",
        subcommands = {GlanceCommand.Train.class, GlanceSampleCommand.class})
final class GlanceCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** Where the lists come from: a preset's 50-step schedule (default: Qwen-Image at 1024x1024), or by hand. */
    static final class ListOptions {
        @Option(names = "--preset", converter = Converters.PresetConverter.class,
                description = "base schedule preset (default: qwen-image, the published lists)")
        SchedulePreset preset = SchedulePreset.QWEN_IMAGE;

        @Option(names = "--size", converter = Converters.SizeConverter.class,
                description = "resolution the lists are derived at (default: 1024x1024)")
        Converters.Size size = new Converters.Size(1024, 1024);

        @Option(names = "--base-steps", description = "steps of the base schedule (default: 50)")
        int baseSteps = GlanceLists.DEFAULT_BASE_STEPS;

        @Option(names = "--slow-list", description = "slow timesteps by hand, e.g. 1000,979.19,...")
        String slowList;

        @Option(names = "--fast-list", description = "fast timesteps by hand")
        String fastList;

        GlanceLists lists() {
            Schedule base = preset.request().steps(baseSteps).size(size.width(), size.height()).build();
            GlanceLists derived = GlanceLists.derive(base, GlanceLists.DEFAULT_SLOW_POSITIONS,
                    GlanceLists.DEFAULT_FAST_POSITIONS);
            if (slowList == null && fastList == null) {
                return derived;
            }
            double[] slow = slowList == null ? derived.slow() : Glance.requireList("slow", parse("slow", slowList));
            double[] fast = fastList == null ? derived.fast() : Glance.requireList("fast", parse("fast", fastList));
            return new GlanceLists(base, slow, fast);
        }

        /** Where derived lists come from; null when both lists are given by hand. */
        GlanceRun.Origin origin() {
            return slowList != null && fastList != null ? null
                    : new GlanceRun.Origin(preset.id(), size.width(), size.height(), baseSteps);
        }

        private static double[] parse(String phase, String list) {
            try {
                return CustomTimesteps.parseList(list);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--" + phase + "-list: " + e.getMessage());
            }
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Train the slow and the fast LoRA on one image. Writes slow.safetensors, fast.safetensors"
                    + " (diffusers/PEFT keys), loss.csv and glance.json to --out.")
    static final class Train implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        static final class Source {
            @ArgGroup(exclusive = false)
            ImageAndCaption file;

            @Option(names = "--toy-index", description = "train on toy-world image I (seed 0)")
            Long toyIndex;
        }

        static final class ImageAndCaption {
            @Option(names = "--image", required = true, description = "the training image")
            Path image;

            @Option(names = "--caption", required = true, description = "its caption")
            String caption;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Mixin
        ListOptions lists;

        @Option(names = "--steps", description = "steps per LoRA (default: ${DEFAULT-VALUE})")
        int steps = Glance.Config.official().steps();

        @Option(names = "--rank", description = "LoRA rank; alpha = 4 x rank (default: ${DEFAULT-VALUE})")
        int rank = Glance.Config.official().rank();

        @Option(names = "--lr", description = "learning rate (default: ${DEFAULT-VALUE})")
        double lr = Glance.Config.official().optimizer().lr();

        @Option(names = "--draw", description = "per-batch, per-sample or round-robin (default: per-batch)")
        String draw = "per-batch";

        @Option(names = "--seed", description = "LoRA init and noise (default: ${DEFAULT-VALUE})")
        long seed = 0;

        @Option(names = "--out", required = true, description = "output directory")
        Path out;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            GlanceLists l = lists.lists(); // bad lists fail here, before anything loads
            Glance.Config config = Glance.Config.builder().steps(steps).rank(rank).lr(lr).seed(seed)
                    .draw(CustomTimesteps.DrawMode.fromId(draw)).build();
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            try (DiffusionModel base = model.load()) {
                String caption;
                float[] image;
                if (source.toyIndex != null) {
                    ToyShapes.Sample s = ToyShapes.sample(source.toyIndex, 0);
                    caption = s.caption();
                    image = s.image();
                } else {
                    caption = base.textEncoder().check(source.file.caption); // a caption it cannot read fails first
                    long[] shape = base.pixelShape();
                    image = ImageFolder.loadImage(source.file.image, (int) shape[2], (int) shape[1]);
                }
                err.println("training Glance on '" + caption + "'\n" + l);
                Glance.Result r = Glance.train(base, image, caption, l, config, new ConsoleProgress(err, 5));
                GlanceRun run = GlanceRun.of(base, r, image, caption, config, lists.origin());
                run.save(out, base, r.losses());
                err.println("loss on the training image (16 noise draws): timestep  base  LoRA");
                for (GlanceRun.TimestepLoss t : run.lossAtTimesteps()) {
                    err.printf(Locale.ROOT, "  %-4s %8.3f  %.5f  %.5f%n", t.phase(), t.timestep(), t.base(), t.lora());
                }
                err.printf(Locale.ROOT, "trained both LoRAs in %.1f s -> %s%n", r.seconds(), out);
                err.flush();
            }
            return 0;
        }
    }
}
