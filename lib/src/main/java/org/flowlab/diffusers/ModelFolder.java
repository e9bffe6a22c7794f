package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flowlab.io.SafeTensorsFile;
import org.flowlab.model.Engines;
import org.flowlab.model.ModuleBuilder;

/**
 * One diffusers (or transformers) model folder: {@code config.json} plus its weights, as {@code save_pretrained}
 * writes them: {@code diffusion_pytorch_model[.VARIANT].safetensors} (transformers: {@code model[...]}) or shards
 * listed in {@code ...safetensors.index.json}. Tensors are read one at a time from memory-mapped files, converted to
 * the compute dtype; the folder keeps track of which were read, so a key the model did not ask for is an error.
 */
public final class ModelFolder implements ModuleBuilder.Weights, AutoCloseable {
    private static final List<String> STEMS = List.of("diffusion_pytorch_model", "model");
    /** A norm's own scale: the module right before ".weight" is a norm (norm_q, norm1, conv_norm_out, group_norm). */
    private static final java.util.regex.Pattern NORM_SCALE = java.util.regex.Pattern.compile("(.*\\.)?[a-z_]*norm[a-z_0-9]*\\.weight");

    private final Path dir;
    private final JsonObject config;
    private final Map<String, SafeTensorsFile> byKey = new LinkedHashMap<>();
    private final List<SafeTensorsFile> files = new ArrayList<>();
    private final DataType dtype;
    private final Set<String> read = new LinkedHashSet<>();
    /** Set for a stand-in without files: every weight is drawn (see {@link #random}). */
    private boolean randomWeights;

    private ModelFolder(Path dir, JsonObject config, DataType dtype) {
        this.dir = dir;
        this.config = config;
        this.dtype = dtype;
    }

    /** How a model is built from its open folder into a fresh manager. */
    @FunctionalInterface
    interface Build<T> {
        T build(ModelFolder folder, ModuleBuilder mb, NDManager manager);
    }

    /**
     * Loads one model folder: checks that {@code config.json} names one of {@code classes}, builds the model in a new
     * manager on {@code device} and requires every weight to have been read. When anything fails, nothing stays
     * allocated.
     *
     * @param what the expected kind, for the error ("a T5EncoderModel")
     */
    static <T> T load(Path dir, String variant, DataType dtype, Device device, String what, Set<String> classes,
                      Build<T> build) throws IOException {
        try (ModelFolder f = open(dir, variant, dtype)) {
            if (!classes.contains(f.className())) {
                throw new IllegalArgumentException(dir + "/config.json is a " + f.className() + ", not " + what);
            }
            NDManager m = Engines.get().newBaseManager(device);
            try {
                T model = build.build(f, new ModuleBuilder(m, f), m);
                f.requireAllRead();
                return model;
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
    }

    /**
     * Builds a model from a config alone, its weights drawn instead of read: N(0, 0.02), norm weights 1, biases 0.
     * For benchmarks of sizes no checkpoint on disk has (a mid-size Flux); nothing is read or checked against files.
     */
    static <T> T random(JsonObject config, DataType dtype, Device device, Build<T> build) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype " + dtype + " is not supported; use fp32 or fp16");
        }
        ModelFolder f = new ModelFolder(Path.of("random " + classNameOf(config)), config, dtype);
        f.randomWeights = true;
        NDManager m = Engines.get().newBaseManager(device);
        try {
            return build.build(f, new ModuleBuilder(m, f), m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * @param variant {@code null} for the plain weights, else e.g. {@code "fp16"} or {@code "bf16"}
     * @param dtype what the weights become in memory: FLOAT32 or FLOAT16
     */
    public static ModelFolder open(Path dir, String variant, DataType dtype) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory (a diffusers model folder holds config.json"
                    + " and its weights)");
        }
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype " + dtype + " is not supported; use fp32 or fp16");
        }
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new IllegalArgumentException(dir + " has no config.json");
        }
        JsonObject config;
        try {
            config = JsonParser.parseString(Files.readString(cfg)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(cfg + " is not a JSON object (" + e.getMessage() + ")");
        }
        ModelFolder f = new ModelFolder(dir, config, dtype);
        try {
            f.openWeights(variant);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
        return f;
    }

    private void openWeights(String variant) throws IOException {
        String suffix = (variant == null || variant.isEmpty() ? "" : "." + variant) + ".safetensors";
        for (String stem : STEMS) {
            Path single = dir.resolve(stem + suffix);
            Path index = dir.resolve(stem + suffix + ".index.json");
            if (Files.isRegularFile(single)) {
                add(SafeTensorsFile.open(single));
                return;
            }
            if (Files.isRegularFile(index)) {
                openShards(index);
                return;
            }
        }
        throw new IllegalArgumentException(dir + " has no weights " + STEMS.get(0) + suffix + " (nor a shard index "
                + STEMS.get(0) + suffix + ".index.json)" + (variant == null ? "" : "; is the variant '" + variant + "' right?"));
    }

    private void openShards(Path index) throws IOException {
        JsonObject map;
        try {
            map = JsonParser.parseString(Files.readString(index)).getAsJsonObject().getAsJsonObject("weight_map");
        } catch (JsonParseException | IllegalStateException | ClassCastException e) {
            throw new IllegalArgumentException(index + " is not a shard index (" + e.getMessage() + ")");
        }
        if (map == null) {
            throw new IllegalArgumentException(index + " has no weight_map");
        }
        Map<String, SafeTensorsFile> shards = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : map.entrySet()) {
            String shard = e.getValue().getAsString();
            if (!shards.containsKey(shard)) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException(index + " names shard " + shard + " for '" + e.getKey()
                            + "', but " + p + " is missing");
                }
                SafeTensorsFile opened = SafeTensorsFile.open(p);
                files.add(opened);
                shards.put(shard, opened);
            }
            SafeTensorsFile f = shards.get(shard);
            if (!f.entries().containsKey(e.getKey())) {
                throw new IllegalArgumentException(index + " puts '" + e.getKey() + "' in " + shard + ", which has no such tensor");
            }
            byKey.put(e.getKey(), f);
        }
    }

    private void add(SafeTensorsFile f) {
        files.add(f);
        for (String k : f.entries().keySet()) {
            byKey.put(k, f);
        }
    }

    public Path directory() {
        return dir;
    }

    public JsonObject config() {
        return config;
    }

    /** {@code _class_name} of a diffusers config, or the first of a transformers config's {@code architectures}. */
    public String className() {
        return classNameOf(config);
    }

    static String classNameOf(JsonObject config) {
        JsonElement c = config.get("_class_name");
        if (c != null) {
            return c.getAsString();
        }
        JsonElement a = config.get("architectures");
        return a != null && a.isJsonArray() && !a.getAsJsonArray().isEmpty() ? a.getAsJsonArray().get(0).getAsString()
                : "(no _class_name nor architectures)";
    }

    public DataType dtype() {
        return dtype;
    }

    public Set<String> keys() {
        return byKey.keySet();
    }

    public boolean has(String key) {
        return byKey.containsKey(key);
    }

    /** A tensor's shape as the file records it. */
    public long[] shape(String key) {
        SafeTensorsFile f = byKey.get(key);
        if (f == null) {
            throw new IllegalArgumentException(dir + ": no tensor '" + key + "'");
        }
        return f.entries().get(key).shape().clone();
    }

    @Override
    public NDArray load(String name, Shape shape, NDManager manager) {
        if (randomWeights) {
            if (name.endsWith(".bias")) {
                return manager.zeros(shape, dtype);
            }
            // a norm's own scale (attn.norm_q.weight, conv_norm_out.weight), not a Linear inside a norm module
            // (norm1.linear.weight)
            return NORM_SCALE.matcher(name).matches() ? manager.ones(shape, dtype)
                    : manager.randomNormal(0, 0.02f, shape, dtype);
        }
        SafeTensorsFile f = byKey.get(name);
        if (f == null) {
            throw new IllegalArgumentException(dir + ": the weights have no tensor '" + name + "' (config "
                    + className() + " needs it)");
        }
        long[] stored = f.entries().get(name).shape();
        if (!Arrays.equals(stored, shape.getShape())) {
            throw new IllegalArgumentException(f.file() + ": tensor '" + name + "' is " + Arrays.toString(stored)
                    + " but config.json makes it " + Arrays.toString(shape.getShape()));
        }
        try {
            read.add(name);
            return f.load(name, manager, dtype);
        } catch (IOException e) {
            throw new UncheckedIOException(f.file() + ": reading '" + name + "' failed", e);
        }
    }

    /** Counts a tensor the model shares with another (a tied embedding) as read. */
    public void tied(String key) {
        if (byKey.containsKey(key)) {
            read.add(key);
        }
    }

    /** Every tensor in the files was read by the model: none is left over (a config that does not fit them). */
    public void requireAllRead() {
        List<String> left = byKey.keySet().stream().filter(k -> !read.contains(k)).toList();
        if (!left.isEmpty()) {
            throw new IllegalArgumentException(dir + ": " + left.size() + " tensor(s) the model (" + className()
                    + " as config.json describes it) has no place for, e.g. '" + left.get(0) + "'");
        }
    }

    @Override
    public void close() {
        for (SafeTensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                // closing a read-only channel cannot lose data
            }
        }
    }

    /** Config values, with the error a researcher needs when one is missing or of the wrong kind. */
    int integer(String key) {
        JsonElement e = config.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(dir.resolve("config.json") + ": '" + key + "' must be a number, is " + e);
        }
        return e.getAsInt();
    }

    int integer(String key, int fallback) {
        JsonElement e = config.get(key);
        return e == null || e.isJsonNull() ? fallback : integer(key);
    }

    boolean bool(String key, boolean fallback) {
        JsonElement e = config.get(key);
        return e == null || e.isJsonNull() ? fallback : e.getAsBoolean();
    }

    int[] integers(String key) {
        JsonElement e = config.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new IllegalArgumentException(dir.resolve("config.json") + ": '" + key + "' must be a list, is " + e);
        }
        return e.getAsJsonArray().asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    String string(String key, String fallback) {
        JsonElement e = config.get(key);
        return e == null || e.isJsonNull() ? fallback : e.getAsString();
    }

    IllegalArgumentException unsupported(String key, Object value, String supported) {
        return new IllegalArgumentException(dir.resolve("config.json") + ": " + key + " = " + value
                + " is not supported (" + supported + ")");
    }
}
