package org.flowlab.scfm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.io.AtomicFiles;
import org.flowlab.io.DType;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.SafeTensorsException;
import org.flowlab.io.Tensor;
import org.flowlab.cache.PromptCache;
import org.flowlab.lora.Lora;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Shapes;
import org.flowlab.model.TextEncoder;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;

/**
 * The teacher's pre-generated training set (SPEC-scfm.md, "Data"): per sample the prompt, the seed, the initial
 * noise, the endpoint latent the teacher's 32-step Euler run reached, the teacher settings and a content hash. One
 * safetensors file per sample plus {@code manifest.json}; each file is written whole (temp, fsync, rename) and the
 * manifest after it, so an interrupted run resumes where it stopped and a reader never sees half a sample. The base
 * text encoder's conditioning of every prompt (and of the empty prompt) sits in {@code embeddings/}, a
 * {@link PromptCache} keyed by the encoder's fingerprint, so training with that encoder runs (and loads) no text
 * encoder and a second pregen encodes nothing again.
 */
public final class TeacherCache {
    public static final String MANIFEST = "manifest.json";
    /** The folder of per-prompt conditioning files. */
    public static final String EMBEDDINGS = "embeddings";

    /**
     * How the teacher generates.
     *
     * @param steps Euler steps (32 in the released scripts)
     * @param shift static shift of the model's schedule
     * @param cfg classifier-free guidance weight (1 = off)
     */
    public record Settings(int steps, double shift, double cfg) {
        public Settings {
            if (steps < 1 || !(shift > 0) || !(cfg >= 0)) {
                throw new IllegalArgumentException("teacher settings: steps " + steps + ", shift " + shift + ", cfg "
                        + cfg + " (need steps >= 1, shift > 0, cfg >= 0)");
            }
        }

        /** 32 steps (the released scripts) at the model's default shift and CFG. */
        public static Settings standard(DiffusionModel model) {
            return new Settings(32, model.defaults().shift(), model.defaults().cfg());
        }
    }

    /** One cached sample. */
    public record Entry(String id, String prompt, long seed, String file, String sha256) {
    }

    private final Path dir;
    private final Settings settings;
    private final List<Entry> entries;
    private final List<float[]> endpoints;
    private final List<float[]> noises;
    private final long[] latentShape;
    /** What the pregenerate call that returned this cache did: samples generated, prompts encoded (0 when opened). */
    private int generated;
    private int encoded;

    private TeacherCache(Path dir, Settings settings, List<Entry> entries, List<float[]> endpoints, List<float[]> noises,
                         long[] latentShape) {
        this.dir = dir;
        this.settings = settings;
        this.entries = List.copyOf(entries);
        this.endpoints = endpoints;
        this.noises = noises;
        this.latentShape = latentShape;
    }

    /**
     * Generates (or completes) the cache in {@code dir}: every (prompt, k) for k below {@code perPrompt}, with seed
     * {@code baseSeed + index}. Samples already on disk and intact are kept. Interruptible between batches.
     */
    public static TeacherCache pregenerate(DiffusionModel teacher, List<String> prompts, int perPrompt, long baseSeed,
                                           Settings settings, Path dir, ProgressListener listener) throws IOException {
        if (prompts.isEmpty() || perPrompt < 1) {
            throw new IllegalArgumentException("pre-generation needs prompts and at least one sample per prompt");
        }
        Engines.prepareThread();
        Files.createDirectories(dir);
        Map<String, Entry> existing = new LinkedHashMap<>();
        if (Files.isRegularFile(dir.resolve(MANIFEST))) {
            Manifest m = Manifest.read(dir);
            if (!m.settings.equals(settings)) {
                throw new IllegalArgumentException(dir + " holds a cache made with " + m.settings + "; this run asks for "
                        + settings + ". Use another --out directory.");
            }
            for (Entry e : m.entries) {
                existing.put(e.id(), e);
            }
        }
        List<Entry> todo = new ArrayList<>();
        List<Entry> all = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            for (int k = 0; k < perPrompt; k++) {
                long seed = baseSeed + (long) p * perPrompt + k;
                String id = String.format(java.util.Locale.ROOT, "%04d-%d", p, k);
                Entry known = existing.get(id);
                if (known != null && known.prompt().equals(prompts.get(p)) && intact(dir, known)) {
                    all.add(known);
                } else {
                    Entry e = new Entry(id, prompts.get(p), seed, id + ".safetensors", null);
                    todo.add(e);
                    all.add(e);
                }
            }
        }
        // every prompt's conditioning first (a second pregen finds it on disk): the teacher passes read it from there
        List<String> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(prompts));
        distinct.add("");
        PromptCache conditioning = PromptCache.at(dir.resolve(EMBEDDINGS), teacher.textEncoder());
        conditioning.fill(distinct, teacher.transformer().manager());
        SamplingPlan plan = SamplingPlan.of(teacher.schedule(settings.steps(), settings.shift()), Lora.BASE)
                .withGuidance(settings.cfg());
        long[] shape = teacher.latentShape();
        long start = System.nanoTime();
        int done = all.size() - todo.size();
        for (int from = 0; from < todo.size(); from += 16) {
            Interruption.check("while pre-generating, " + done + " of " + all.size() + " samples done");
            List<Entry> chunk = todo.subList(from, Math.min(todo.size(), from + 16));
            try (NDManager m = teacher.transformer().manager().newSubManager()) {
                long[] seeds = chunk.stream().mapToLong(Entry::seed).toArray();
                float[] endpoints = Pipeline.latents(teacher, Pipeline.Request.of(plan),
                        chunk.stream().map(Entry::prompt).toList(), seeds, m, ProgressListener.NONE, conditioning)
                        .images().toFloatArray();
                float[] noiseData = org.flowlab.flow.Noise.forSeeds(m, seeds, shape).toFloatArray();
                int per = endpoints.length / chunk.size();
                for (int i = 0; i < chunk.size(); i++) {
                    Entry e = chunk.get(i);
                    Map<String, Tensor> tensors = new LinkedHashMap<>();
                    tensors.put("noise", new Tensor(shape, java.util.Arrays.copyOfRange(noiseData, i * per, (i + 1) * per)));
                    tensors.put("endpoint", new Tensor(shape, java.util.Arrays.copyOfRange(endpoints, i * per, (i + 1) * per)));
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put("prompt", e.prompt());
                    meta.put("seed", Long.toString(e.seed()));
                    meta.put("teacher", new Gson().toJson(settings));
                    SafeTensors.write(dir.resolve(e.file()), tensors, meta, DType.F32);
                    Entry written = new Entry(e.id(), e.prompt(), e.seed(), e.file(), SafeTensors.checksum(tensors));
                    all.set(all.indexOf(e), written);
                }
            }
            done += chunk.size();
            new Manifest(settings, all.stream().filter(x -> x.sha256() != null).toList(), shape).write(dir);
            ProgressListener.notify(listener, Progress.of("scfm pregen", done, all.size(), (System.nanoTime() - start) / 1e9));
        }
        new Manifest(settings, all, shape).write(dir);
        TeacherCache c = open(dir);
        c.generated = todo.size();
        c.encoded = conditioning.encodedPrompts();
        return c;
    }

    private static boolean intact(Path dir, Entry e) {
        try {
            SafeTensors.Contents c = SafeTensors.read(dir.resolve(e.file()));
            return SafeTensors.checksum(c.tensors()).equals(e.sha256());
        } catch (IOException | RuntimeException ex) {
            return false;
        }
    }

    /** Opens a cache, checking every file against the manifest (a missing or corrupted file is named). */
    public static TeacherCache open(Path dir) throws IOException {
        Manifest m = Manifest.read(dir);
        if (m.entries.isEmpty()) {
            throw new IllegalArgumentException(dir + "/" + MANIFEST + " lists no samples; run scfm pregen first");
        }
        List<float[]> endpoints = new ArrayList<>();
        List<float[]> noises = new ArrayList<>();
        for (Entry e : m.entries) {
            Path f = dir.resolve(e.file());
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("the cache in " + dir + " is missing " + e.file()
                        + "; run scfm pregen again with the same --out to complete it");
            }
            SafeTensors.Contents c;
            try {
                c = SafeTensors.read(f);
            } catch (SafeTensorsException ex) {
                throw new IllegalArgumentException("cache file " + f + " is corrupted: " + ex.getMessage(), ex);
            }
            if (!SafeTensors.checksum(c.tensors()).equals(e.sha256())) {
                throw new IllegalArgumentException("cache file " + f + " does not match its hash in the manifest"
                        + " (corrupted); delete it and run scfm pregen again");
            }
            endpoints.add(c.tensor("endpoint").data());
            noises.add(c.tensor("noise").data());
        }
        return new TeacherCache(dir, m.settings, m.entries, endpoints, noises, m.shape);
    }

    /**
     * The cached conditioning of every prompt (and the empty one) by this text encoder, or null when the cache holds
     * none of its making (another model's encoder, or an older cache): then the trainer encodes its prompts itself.
     */
    public PromptCache conditioningBy(TextEncoder encoder) {
        PromptCache c = PromptCache.at(dir.resolve(EMBEDDINGS), encoder);
        List<String> needed = new ArrayList<>(new java.util.LinkedHashSet<>(prompts()));
        needed.add("");
        return c.holds(needed) ? c : null;
    }

    public Path directory() {
        return dir;
    }

    /** How many teacher samples the pregenerate call that returned this cache generated (the rest were on disk). */
    public int samplesGenerated() {
        return generated;
    }

    /** How many prompts that call ran the text encoder for (0 on a second run over the same prompts). */
    public int promptsEncoded() {
        return encoded;
    }

    public Settings settings() {
        return settings;
    }

    public List<Entry> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    public long[] latentShape() {
        return latentShape.clone();
    }

    /** A training batch: the endpoints of these cache rows (B, C, H, W), uploaded in one piece, and their prompts. */
    public record Batch(NDArray x0, List<String> prompts) {
    }

    public Batch batch(int[] rows, NDManager manager) {
        int per = Shapes.size(latentShape);
        float[] x0 = new float[rows.length * per];
        List<String> prompts = new ArrayList<>(rows.length);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(endpoints.get(rows[i]), 0, x0, i * per, per);
            prompts.add(entries.get(rows[i]).prompt());
        }
        return new Batch(OwnedArrays.create(manager, x0, new ai.djl.ndarray.types.Shape(Shapes.batched(rows.length, latentShape))),
                prompts);
    }

    /** Rows {@code from..to-1} of the cache's endpoints as one (B, C, H, W) tensor (for grids). */
    public NDArray endpoints(int from, int to, NDManager manager) {
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = from + i;
        }
        return batch(rows, manager).x0();
    }

    /** Sample {@code i}'s endpoint (the teacher's final latent), CHW. */
    public float[] endpoint(int i) {
        return endpoints.get(i);
    }

    /** Sample {@code i}'s initial noise (for paired, reflow-style questions). */
    public float[] noise(int i) {
        return noises.get(i);
    }

    public List<String> prompts() {
        return entries.stream().map(Entry::prompt).toList();
    }

    /** The manifest's JSON shape. */
    private record Manifest(Settings settings, List<Entry> entries, long[] shape) {
        void write(Path dir) throws IOException {
            JsonObject o = new JsonObject();
            Gson gson = new GsonBuilder().setPrettyPrinting().create();
            o.add("teacher", gson.toJsonTree(settings));
            o.add("latent_shape", gson.toJsonTree(shape));
            o.add("entries", gson.toJsonTree(entries));
            AtomicFiles.write(dir.resolve(MANIFEST), gson.toJson(o).getBytes(StandardCharsets.UTF_8));
        }

        static Manifest read(Path dir) throws IOException {
            Path f = dir.resolve(MANIFEST);
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException(dir + " has no " + MANIFEST + "; create the cache with scfm pregen --out "
                        + dir);
            }
            try {
                JsonObject o = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
                Gson gson = new Gson();
                Settings s = gson.fromJson(o.get("teacher"), Settings.class);
                long[] shape = gson.fromJson(o.get("latent_shape"), long[].class);
                List<Entry> entries = new ArrayList<>();
                o.getAsJsonArray("entries").forEach(e -> entries.add(gson.fromJson(e, Entry.class)));
                return new Manifest(s, Collections.unmodifiableList(entries), shape);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(f + " is corrupted (" + e.getMessage() + ")", e);
            }
        }
    }
}
