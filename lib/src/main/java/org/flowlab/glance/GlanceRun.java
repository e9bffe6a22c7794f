package org.flowlab.glance;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flowlab.io.AtomicFiles;
import org.flowlab.io.LoraFiles;
import org.flowlab.lora.Lora;
import org.flowlab.model.DiffusionModel;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.SchedulePreset;

/**
 * A trained Glance pair on disk, the format {@code flowlab glance train} writes and notebooks open alike:
 * {@code slow.safetensors} and {@code fast.safetensors} (diffusers/PEFT LoRA files), {@code loss.csv} (every step)
 * and {@code glance.json} (caption, lists and the schedule they came from, recipe, time, the loss at each list
 * timestep before and after). Every file is written whole; {@code glance.json} comes last, so a directory without it
 * is not a run.
 *
 * @param caption the training caption
 * @param lists the two timestep lists and their base schedule
 * @param origin the preset, size and base step count the lists were derived from (for the official-qwen plan), or null
 * @param recipe steps, rank, alpha, lr, draw, seed and image size (WxH) as trained
 * @param seconds training time of both LoRAs
 * @param lossAtTimesteps per list timestep: the loss of the base and of the phase's LoRA on the training image
 */
public record GlanceRun(String caption, GlanceLists lists, Origin origin, Map<String, Object> recipe, double seconds,
                        List<TimestepLoss> lossAtTimesteps) {
    public static final String JSON = "glance.json";

    /** Where derived lists came from. */
    public record Origin(String preset, int width, int height, int baseSteps) {
        /** The fresh {@code steps}-step schedule of the same preset and size (the official Qwen pipeline's phase 2). */
        public Schedule fresh(int steps) {
            return SchedulePreset.fromId(preset).request().steps(steps).size(width, height).build();
        }
    }

    /** The loss on the training image at one list timestep, base vs LoRA (what training was meant to lower). */
    public record TimestepLoss(String phase, double timestep, double base, double lora) {
    }

    public GlanceRun {
        recipe = Map.copyOf(recipe);
        lossAtTimesteps = List.copyOf(lossAtTimesteps);
    }

    /** The run as trained: the loss table is measured here (16 fixed noise draws per timestep). */
    public static GlanceRun of(DiffusionModel model, Glance.Result result, Glance.Example example,
                               Glance.Config config, Origin origin) {
        List<TimestepLoss> table = new ArrayList<>();
        for (String phase : List.of(Glance.SLOW, Glance.FAST)) {
            double[] timesteps = phase.equals(Glance.SLOW) ? result.lists().slow() : result.lists().fast();
            double[] sigmas = Arrays.stream(timesteps).map(t -> t / 1000).toArray();
            double[] before = Glance.lossAt(model, Lora.BASE, example, sigmas, 16);
            double[] after = Glance.lossAt(model, phase, example, sigmas, 16);
            for (int i = 0; i < sigmas.length; i++) {
                table.add(new TimestepLoss(phase, timesteps[i], before[i], after[i]));
            }
        }
        Map<String, Object> recipe = new LinkedHashMap<>();
        recipe.put("steps", config.steps());
        recipe.put("rank", config.rank());
        recipe.put("alpha", config.alphaFactor() * config.rank());
        recipe.put("lr", config.optimizer().lr());
        recipe.put("draw", config.draw().id());
        recipe.put("seed", config.seed());
        long[] px = model.pixelShape();
        recipe.put("image_size", px[2] + "x" + px[1]);
        return new GlanceRun(example.caption(), result.lists(), origin, recipe, result.seconds(), table);
    }

    /** Writes both adapters (from the model's transformer), the per-step losses and {@code glance.json} into dir. */
    public void save(Path dir, DiffusionModel model, List<Glance.LossPoint> losses) throws IOException {
        Files.createDirectories(dir);
        Lora lora = Lora.of(model.transformer());
        for (String phase : List.of(Glance.SLOW, Glance.FAST)) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("flowlab.method", "glance");
            meta.put("flowlab.caption", caption);
            meta.put("flowlab.timesteps", Arrays.toString(phase.equals(Glance.SLOW) ? lists.slow() : lists.fast()));
            LoraFiles.export(lora.adapter(phase), dir.resolve(phase + ".safetensors"), meta);
        }
        StringBuilder csv = new StringBuilder("phase,step,sigma,loss\n");
        for (Glance.LossPoint p : losses) {
            csv.append(String.format(Locale.ROOT, "%s,%d,%.8f,%.6f%n", p.phase(), p.step(), p.sigma(), p.loss()));
        }
        AtomicFiles.write(dir.resolve("loss.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("caption", caption);
        if (origin != null) {
            json.put("preset", origin.preset());
            json.put("size", origin.width() + "x" + origin.height());
            json.put("base_steps", origin.baseSteps());
        }
        json.put("base_label", lists.base().label());
        json.put("base_sigmas", lists.base().sigmas());
        json.put("slow", lists.slow());
        json.put("fast", lists.fast());
        json.putAll(recipe);
        json.put("seconds", seconds);
        json.put("loss_at_timesteps", lossAtTimesteps);
        AtomicFiles.write(dir.resolve(JSON), new GsonBuilder().setPrettyPrinting().create().toJson(json)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a run directory back (adapters are loaded separately, by {@link #loadAdapters}). */
    public static GlanceRun open(Path dir) throws IOException {
        Path json = dir.resolve(JSON);
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException(dir + " has no " + JSON + "; it is not a directory written by glance train");
        }
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        Gson gson = new Gson();
        Schedule base = Schedule.ofSigmas(o.get("base_label").getAsString(), gson.fromJson(o.get("base_sigmas"), double[].class));
        GlanceLists lists = new GlanceLists(base, gson.fromJson(o.get("slow"), double[].class),
                gson.fromJson(o.get("fast"), double[].class));
        Origin origin = null;
        if (o.has("preset")) {
            String[] wh = o.get("size").getAsString().split("x");
            origin = new Origin(o.get("preset").getAsString(), Integer.parseInt(wh[0]), Integer.parseInt(wh[1]),
                    o.get("base_steps").getAsInt());
        }
        Map<String, Object> recipe = new LinkedHashMap<>();
        for (String k : List.of("steps", "rank", "alpha", "lr", "draw", "seed", "image_size")) {
            if (o.has(k)) {
                recipe.put(k, o.get(k).isJsonPrimitive() && o.get(k).getAsJsonPrimitive().isNumber()
                        ? o.get(k).getAsNumber() : o.get(k).getAsString());
            }
        }
        List<TimestepLoss> table = o.has("loss_at_timesteps")
                ? List.of(gson.fromJson(o.get("loss_at_timesteps"), TimestepLoss[].class)) : List.of();
        return new GlanceRun(o.get("caption").getAsString(), lists, origin, recipe, o.get("seconds").getAsDouble(), table);
    }

    /** The size the LoRAs were trained at, {width, height}, or null for a run that did not record it. */
    public int[] imageSize() {
        Object s = recipe.get("image_size");
        if (s == null) {
            return null;
        }
        String[] wh = s.toString().split("x");
        return new int[] {Integer.parseInt(wh[0]), Integer.parseInt(wh[1])};
    }

    /** Puts the run's slow and fast LoRAs on the model's transformer (replacing adapters of those names). */
    public static void loadAdapters(DiffusionModel model, Path dir) throws IOException {
        for (String phase : List.of(Glance.SLOW, Glance.FAST)) {
            Path f = dir.resolve(phase + ".safetensors");
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException(dir + " has no " + phase + ".safetensors");
            }
            LoraFiles.load(model.components(), f, phase);
        }
    }

    /** The plan of a variant: the consistent schedule, or the official Qwen pipeline's (needs the lists' origin). */
    public org.flowlab.flow.SamplingPlan plan(Glance.Variant variant) {
        if (variant == Glance.Variant.CONSISTENT) {
            return Glance.plan(lists);
        }
        if (origin == null) {
            throw new IllegalArgumentException("the official-qwen plan needs the preset the lists came from; this run's"
                    + " lists were given by hand");
        }
        return Glance.officialQwenPlan(lists, origin.fresh(lists.fast().length));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Glance run on '%s' (%.1f s): %s", caption, seconds, lists);
    }
}
