package org.flowlab.cli;

import com.google.gson.GsonBuilder;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.data.Captions;
import org.flowlab.data.ImageFolder;
import org.flowlab.data.ToyShapes;
import org.flowlab.glance.Glance;
import org.flowlab.io.AtomicFiles;
import org.flowlab.io.LoraFiles;
import org.flowlab.lora.Lora;
import org.flowlab.nn.Engines;
import org.flowlab.nn.ToyDiT;
import org.flowlab.schedule.CustomTimesteps;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.SchedulePreset;
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

        Schedule freshFast(int steps) {
            return preset.request().steps(steps).size(size.width(), size.height()).build();
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
            Glance.Config config = Glance.Config.official().withSteps(steps).withRank(rank).withLr(lr).withSeed(seed)
                    .withDraw(CustomTimesteps.DrawMode.fromId(draw));
            if (source.file != null) {
                if (model.model == null) {
                    Captions.parse(source.file.caption); // the toy teacher knows only its grammar
                }
                ImageFolder.loadImage(source.file.image, 32, 32); // unreadable images fail before the model loads
            }
            String caption;
            float[] image;
            Engines.prepareThread();
            PrintWriter err = spec.commandLine().getErr();
            try (ToyDiT base = model.load()) {
                long[] shape = base.imageShape();
                if (source.toyIndex != null) {
                    ToyShapes.Sample s = ToyShapes.sample(source.toyIndex, 0);
                    caption = s.caption();
                    image = s.image();
                } else {
                    caption = source.file.caption;
                    image = ImageFolder.loadImage(source.file.image, (int) shape[2], (int) shape[1]);
                }
                err.println("training Glance on '" + caption + "'\n" + l);
                Glance.Result r = Glance.train(base, image, caption, l, config, new ConsoleProgress(err, 5));
                Files.createDirectories(out);
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("flowlab.caption", caption);
                LoraFiles.export(r.slow(), out.resolve("slow.safetensors"), withList(meta, l.slow()));
                LoraFiles.export(r.fast(), out.resolve("fast.safetensors"), withList(meta, l.fast()));
                StringBuilder csv = new StringBuilder("phase,step,sigma,loss\n");
                for (Glance.LossPoint p : r.losses()) {
                    csv.append(String.format(Locale.ROOT, "%s,%d,%.8f,%.6f%n", p.phase(), p.step(), p.sigma(), p.loss()));
                }
                AtomicFiles.write(out.resolve("loss.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("caption", caption);
                json.put("preset", lists.preset.id());
                json.put("size", lists.size.toString());
                json.put("base_steps", lists.baseSteps);
                json.put("slow", l.slow());
                json.put("fast", l.fast());
                json.put("steps", steps);
                json.put("rank", rank);
                json.put("alpha", 4 * rank);
                json.put("lr", lr);
                json.put("draw", draw);
                json.put("seed", seed);
                json.put("seconds", r.seconds());
                json.put("loss_at_timesteps", lossTable(base, image, caption, l, err));
                AtomicFiles.write(out.resolve("glance.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json)
                        .getBytes(StandardCharsets.UTF_8));
                err.printf(Locale.ROOT, "trained both LoRAs in %.1f s -> %s%n", r.seconds(), out);
                err.flush();
            }
            return 0;
        }

        /**
         * Loss on the training image at each list timestep, base model vs the phase's LoRA (16 fixed noise draws):
         * what training was meant to lower. Printed and kept in glance.json.
         */
        private static List<Map<String, Object>> lossTable(ToyDiT base, float[] image, String caption, GlanceLists l,
                                                           PrintWriter err) {
            List<Map<String, Object>> rows = new ArrayList<>();
            err.println("loss on the training image (16 noise draws): timestep  base  LoRA");
            for (String phase : List.of(Glance.SLOW, Glance.FAST)) {
                double[] timesteps = phase.equals(Glance.SLOW) ? l.slow() : l.fast();
                double[] sigmas = Arrays.stream(timesteps).map(t -> t / 1000).toArray();
                double[] before = Glance.lossAt(base, Lora.BASE, image, caption, sigmas, 16);
                double[] after = Glance.lossAt(base, phase, image, caption, sigmas, 16);
                for (int i = 0; i < sigmas.length; i++) {
                    err.printf(Locale.ROOT, "  %-4s %8.3f  %.5f  %.5f%n", phase, timesteps[i], before[i], after[i]);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("phase", phase);
                    row.put("timestep", timesteps[i]);
                    row.put("base", before[i]);
                    row.put("lora", after[i]);
                    rows.add(row);
                }
            }
            return rows;
        }

        private static Map<String, String> withList(Map<String, String> meta, double[] list) {
            Map<String, String> m = new LinkedHashMap<>(meta);
            m.put("flowlab.timesteps", Arrays.toString(list));
            return m;
        }
    }

    /** Reads glance.json back into the lists (the sample command's side). */
    static GlanceLists listsFrom(Path dir, ListOptions fallback) throws java.io.IOException {
        Path json = dir.resolve("glance.json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException(dir + " has no glance.json; point --lora at a directory written by glance train");
        }
        var o = com.google.gson.JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        fallback.preset = SchedulePreset.fromId(o.get("preset").getAsString());
        String[] wh = o.get("size").getAsString().split("x");
        fallback.size = new Converters.Size(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
        fallback.baseSteps = o.get("base_steps").getAsInt();
        Schedule base = fallback.preset.request().steps(fallback.baseSteps).size(fallback.size.width(),
                fallback.size.height()).build();
        List<Double> slow = new ArrayList<>();
        o.getAsJsonArray("slow").forEach(e -> slow.add(e.getAsDouble()));
        List<Double> fast = new ArrayList<>();
        o.getAsJsonArray("fast").forEach(e -> fast.add(e.getAsDouble()));
        return new GlanceLists(base, slow.stream().mapToDouble(Double::doubleValue).toArray(),
                fast.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static void loadAdapters(ToyDiT model, Path dir) throws java.io.IOException {
        for (String phase : List.of(Glance.SLOW, Glance.FAST)) {
            Path f = dir.resolve(phase + ".safetensors");
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException(dir + " has no " + phase + ".safetensors");
            }
            LoraFiles.load(Lora.of(model), f, phase);
        }
    }
}
