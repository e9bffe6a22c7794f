package org.flowlab.toy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.io.Checkpoint;
import org.flowlab.io.DType;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.SafeTensorsException;
import org.flowlab.io.Tensor;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Component;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Parameter;

/**
 * A toy model as one safetensors file: every parameter under its component's prefix ({@code transformer.},
 * {@code text_encoder.}), F16 by default (half the size; the shipped teacher is defined as the fp16-rounded
 * weights), with the config, vocabulary and provenance in its metadata.
 */
public final class ToyModelFiles {
    public static final String KIND_KEY = "flowlab.model";
    public static final String KIND = "ToyModel";
    public static final String CONFIG_KEY = "flowlab.config";
    public static final String VOCABULARY_KEY = "flowlab.vocabulary";
    /** For a model on latents: its VAE folder, relative to the weights file's folder, and the pixel size (WxH). */
    public static final String CODEC_KEY = "flowlab.codec";
    public static final String CODEC_SIZE_KEY = "flowlab.codec.size";

    private ToyModelFiles() {
    }

    public static void save(DiffusionModel model, Path file, Map<String, String> provenance, DType dtype) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.components().forEach((prefix, component) -> {
            for (Parameter p : component.parameters().all()) {
                tensors.put(prefix + "." + p.name(), Tensor.of(p.array()));
            }
        });
        Tokenizer tokenizer = ToyModel.textEncoder(model).tokenizer();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(KIND_KEY, KIND);
        meta.put(CONFIG_KEY, ToyModel.transformer(model).config().toJson());
        meta.put(VOCABULARY_KEY, new Gson().toJson(tokenizer.vocabulary().subList(3, tokenizer.vocabularySize())));
        if (model.codec() instanceof org.flowlab.diffusers.AutoencoderKL vae) {
            Path home = file.toAbsolutePath().getParent();
            Path vaeDir = vae.directory().toAbsolutePath();
            if (!Files.isDirectory(vaeDir)) {
                throw new IllegalArgumentException("the model's VAE has no folder yet; save it (AutoencoderKL.save) before"
                        + " the model that refers to it");
            }
            meta.put(CODEC_KEY, home.relativize(vaeDir).toString());
            long[] px = vae.pixelShape();
            meta.put(CODEC_SIZE_KEY, px[2] + "x" + px[1]);
        }
        if (model.metadata().containsKey(ToyModel.WORLD)) {
            meta.put(ToyModel.WORLD, model.metadata().get(ToyModel.WORLD));
        }
        meta.putAll(provenance);
        SafeTensors.write(file, tensors, meta, dtype);
    }

    public static DiffusionModel load(Path file, Device device) throws IOException {
        return fromContents(SafeTensors.read(file), file, device);
    }

    /** Loads from a stream (the teacher shipped on the classpath). */
    public static DiffusionModel load(InputStream in, String name, Device device) throws IOException {
        return fromContents(SafeTensors.decode(in.readAllBytes(), Path.of(name)), Path.of(name), device);
    }

    private static DiffusionModel fromContents(SafeTensors.Contents c, Path file, Device device) {
        String kind = c.metadata().get(KIND_KEY);
        if ("ToyDiT".equals(kind)) {
            throw new SafeTensorsException(file, "is a Flowlab toy model in the first layout (one network, toy module"
                    + " names); convert it with: python3 models/convert_v1.py " + file + " NEW_FILE");
        }
        if (!KIND.equals(kind)) {
            throw new SafeTensorsException(file, "not a Flowlab toy model file (metadata " + KIND_KEY + " is " + kind + ")");
        }
        DiTConfig config = DiTConfig.fromJson(c.metadata().get(CONFIG_KEY));
        List<String> words = new Gson().fromJson(c.metadata().get(VOCABULARY_KEY), new TypeToken<List<String>>() { }.getType());
        DiffusionModel model = ToyModel.create(config, new Tokenizer(words, config.textLength()),
                codec(c.metadata(), file, device, config), device, 0, provenance(c.metadata()));
        try {
            Map<String, long[]> expected = new LinkedHashMap<>();
            model.components().forEach((prefix, component) -> component.parameters().all()
                    .forEach(p -> expected.put(prefix + "." + p.name(), p.shape().getShape())));
            Checkpoint.requireShapes(file, c, expected);
            for (Map.Entry<String, Component> e : model.components().entrySet()) {
                try (NoGrad ng = NoGrad.enter(); NDManager tmp = e.getValue().manager().newSubManager()) {
                    for (Parameter p : e.getValue().parameters().all()) {
                        p.copyFrom(c.tensor(e.getKey() + "." + p.name()).toNDArray(tmp));
                    }
                }
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** The identity for a pixel model; the VAE the metadata names (beside the weights file) for a latent one. */
    private static org.flowlab.model.LatentCodec codec(Map<String, String> metadata, Path file, Device device,
                                                       DiTConfig config) {
        String rel = metadata.get(CODEC_KEY);
        if (rel == null) {
            return org.flowlab.model.LatentCodec.identity(config.channels(), config.imageSize(), config.imageSize());
        }
        Path dir = file.toAbsolutePath().getParent().resolve(rel).normalize();
        String[] wh = metadata.getOrDefault(CODEC_SIZE_KEY, "").split("x");
        if (wh.length != 2) {
            throw new SafeTensorsException(file, "names the codec " + rel + " but no " + CODEC_SIZE_KEY + " (WxH)");
        }
        try {
            return org.flowlab.diffusers.AutoencoderKL.load(dir, null, device, Integer.parseInt(wh[1]),
                    Integer.parseInt(wh[0]));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": its codec " + dir + " cannot be loaded: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> provenance(Map<String, String> metadata) {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.remove(VOCABULARY_KEY);
        m.remove(CODEC_KEY);
        m.remove(CODEC_SIZE_KEY);
        return m;
    }

    /**
     * A file or folder of the repository's {@code models/}: weights that do not travel on the classpath (a latent
     * teacher reads its VAE folder beside it). Looked up under {@code flowlab.home} (the launcher and the kernel set
     * it), then in the working directory and its parent (a module's tests).
     */
    public static Path shipped(String name) throws IOException {
        List<Path> tried = new java.util.ArrayList<>();
        String home = System.getProperty("flowlab.home");
        if (home != null) {
            tried.add(Path.of(home, "models", name));
        }
        tried.add(Path.of("models", name));
        tried.add(Path.of("..", "models", name));
        for (Path p : tried) {
            if (Files.exists(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IOException("the shipped model " + name + " is in none of " + tried + "; run from the repository"
                + " (./flowlab sets flowlab.home) or see models/README.md for the command that makes it");
    }

    /** The provenance strings stored with the weights (command, seed, time...). */
    public static Map<String, String> metadata(Path file) throws IOException {
        return SafeTensors.read(file).metadata();
    }
}
