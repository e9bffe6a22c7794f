package org.flowlab.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowlab.cache.LatentCache;
import org.flowlab.cache.PromptCache;
import org.flowlab.data.ImageFolder;
import org.flowlab.diffusers.DiffusersPipeline;
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

    /**
     * Where the lists come from: a preset's 50-step schedule, or by hand. Without a preset, a diffusers pipeline's
     * lists come from its own 50-step schedule at the training size (Flux at 1024x1024 gives the official Flux lists),
     * any other model's from Qwen-Image's at 1024x1024 (the published lists).
     */
    static final class ListOptions {
        @Option(names = "--preset", converter = Converters.PresetConverter.class,
                description = "base schedule preset (default: a pipeline's own schedule; else qwen-image, the"
                        + " published lists)")
        SchedulePreset preset;

        @Option(names = "--size", converter = Converters.SizeConverter.class,
                description = "resolution a preset's lists are derived at (default: 1024x1024)")
        Converters.Size size = new Converters.Size(1024, 1024);

        @Option(names = "--base-steps", description = "steps of the base schedule (default: 50)")
        int baseSteps = GlanceLists.DEFAULT_BASE_STEPS;

        @Option(names = "--slow-list", description = "slow timesteps by hand, e.g. 1000,979.19,...")
        String slowList;

        @Option(names = "--fast-list", description = "fast timesteps by hand")
        String fastList;

        /** Hand-given lists are checked before any model loads. */
        void check() {
            if (slowList != null) {
                Glance.requireList("slow", parse("slow", slowList));
            }
            if (fastList != null) {
                Glance.requireList("fast", parse("fast", fastList));
            }
        }

        private boolean fromModel(DiffusionModel model) {
            return preset == null && model.metadata().containsKey(DiffusionModel.PIPELINE);
        }

        GlanceLists lists(DiffusionModel model) {
            Schedule base = fromModel(model) ? model.schedule(baseSteps)
                    : (preset == null ? SchedulePreset.QWEN_IMAGE : preset).request().steps(baseSteps)
                            .size(size.width(), size.height()).build();
            GlanceLists derived = GlanceLists.derive(base, GlanceLists.DEFAULT_SLOW_POSITIONS,
                    GlanceLists.DEFAULT_FAST_POSITIONS);
            if (slowList == null && fastList == null) {
                return derived;
            }
            double[] slow = slowList == null ? derived.slow() : Glance.requireList("slow", parse("slow", slowList));
            double[] fast = fastList == null ? derived.fast() : Glance.requireList("fast", parse("fast", fastList));
            return new GlanceLists(base, slow, fast);
        }

        /** The preset and size derived lists came from; null for lists by hand or from the model's own schedule. */
        GlanceRun.Origin origin(DiffusionModel model) {
            return (slowList != null && fastList != null) || fromModel(model) ? null
                    : new GlanceRun.Origin((preset == null ? SchedulePreset.QWEN_IMAGE : preset).id(), size.width(),
                            size.height(), baseSteps);
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

            @Option(names = "--toy-index", description = "train on image I (seed 0) of the toy model's world")
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

        @Option(names = "--exact-size", description = "train at --image-size itself, not at the image's aspect-ratio"
                + " bucket of that many pixels")
        boolean exactSize;

        @Option(names = "--out", required = true, description = "output directory")
        Path out;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            lists.check(); // bad lists fail here, before anything loads
            CustomTimesteps.DrawMode drawMode = CustomTimesteps.DrawMode.fromId(draw);
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            Converters.Size size = model.size();
            if (source.file != null && model.isPipelineFolder() && !exactSize) {
                size = bucket(source.file.image, size, err);
            }
            try (DiffusionModel base = model.load(size)) {
                GlanceLists l = lists.lists(base);
                Glance.Config config = Glance.Config.forModel(base).steps(steps).rank(rank).lr(lr).seed(seed)
                        .draw(drawMode).build();
                Glance.Example example;
                LatentCache latents = null;
                PromptCache prompts = null;
                if (source.toyIndex != null) {
                    // image I of the model's own world
                    example = org.flowlab.toy.ToyModel.isScenes(base)
                            ? scene(base, org.flowlab.toy.scenes.Scenes.sample(source.toyIndex, 0))
                            : shapes(base, ToyShapes.sample(source.toyIndex, 0));
                } else {
                    String caption = base.textEncoder().check(source.file.caption); // a caption it cannot read fails first
                    base.textEncoder().notes(caption).forEach(n -> err.println("warning: " + n));
                    Path root = model.cacheRoot();
                    latents = LatentCache.at(root.resolve("latents"));
                    prompts = PromptCache.at(root.resolve("prompts"), base.textEncoder());
                    try (NDManager m = base.transformer().manager().newSubManager()) {
                        example = new Glance.Example(latents.latents(source.file.image, base.codec(), m).toFloatArray(),
                                caption, prompts);
                    }
                }
                err.println("training Glance on '" + example.caption() + "'\n" + l);
                Glance.Result r = Glance.train(base, example, l, config, new ConsoleProgress(err, 5));
                GlanceRun run = GlanceRun.of(base, r, example, config, lists.origin(base));
                run.save(out, base, r.losses());
                err.println("loss on the training image (16 noise draws): timestep  base  LoRA");
                for (GlanceRun.TimestepLoss t : run.lossAtTimesteps()) {
                    err.printf(Locale.ROOT, "  %-4s %8.3f  %.5f  %.5f%n", t.phase(), t.timestep(), t.base(), t.lora());
                }
                if (latents != null) {
                    err.printf(Locale.ROOT, "caches in %s: %d image(s) and %d prompt(s) encoded this run, the rest"
                            + " read back%n", model.cacheRoot(), latents.encodedImages(), prompts.encodedPrompts());
                }
                err.printf(Locale.ROOT, "trained both LoRAs in %.1f s -> %s%n", r.seconds(), out);
                err.flush();
            }
            return 0;
        }

        private static Glance.Example scene(DiffusionModel base, org.flowlab.toy.scenes.Scenes.Sample s) {
            return Glance.Example.of(base, s.image(), s.caption());
        }

        private static Glance.Example shapes(DiffusionModel base, ToyShapes.Sample s) {
            return Glance.Example.of(base, s.image(), s.caption());
        }

        /** The image's aspect-ratio bucket at about {@code area}'s pixel count, sides multiples of the pipeline's patch. */
        private Converters.Size bucket(Path image, Converters.Size area, PrintWriter err) throws java.io.IOException {
            List<ImageFolder.Bucket> buckets = new ImageFolder.Bucket(area.width(), area.height())
                    .withAspectRatios(DiffusersPipeline.sizeMultiple(model.model));
            ImageFolder.Bucket b = ImageFolder.bucketFor(image, buckets);
            err.println("image " + image.getFileName() + " -> bucket " + b + " (of " + buckets + ")");
            return new Converters.Size(b.width(), b.height());
        }
    }
}
