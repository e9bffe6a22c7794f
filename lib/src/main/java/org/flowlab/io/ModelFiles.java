package org.flowlab.io;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.nn.DiTConfig;
import org.flowlab.nn.NoGrad;
import org.flowlab.nn.Parameter;
import org.flowlab.nn.Tokenizer;
import org.flowlab.nn.ToyDiT;

/**
 * Toy DiT weights as one safetensors file (F16 by default: half the size, and the shipped teacher is defined as
 * the fp16-rounded weights) with the config, vocabulary and provenance in its metadata.
 */
public final class ModelFiles {
    public static final String KIND_KEY = "flowlab.model";
    public static final String CONFIG_KEY = "flowlab.config";
    public static final String VOCABULARY_KEY = "flowlab.vocabulary";

    private ModelFiles() {
    }

    public static void save(ToyDiT model, Path file, Map<String, String> provenance, DType dtype) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : model.parameters().all()) {
            tensors.put(p.name(), Tensor.of(p.array()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(KIND_KEY, "ToyDiT");
        meta.put(CONFIG_KEY, model.config().toJson());
        meta.put(VOCABULARY_KEY, new Gson().toJson(model.tokenizer().vocabulary().subList(3, model.tokenizer().vocabularySize())));
        meta.putAll(provenance);
        SafeTensors.write(file, tensors, meta, dtype);
    }

    public static ToyDiT load(Path file, Device device) throws IOException {
        return fromContents(SafeTensors.read(file), file, device);
    }

    /** Loads from a stream (the teacher shipped on the classpath). */
    public static ToyDiT load(InputStream in, String name, Device device) throws IOException {
        return fromContents(SafeTensors.decode(in.readAllBytes(), Path.of(name)), Path.of(name), device);
    }

    private static ToyDiT fromContents(SafeTensors.Contents c, Path file, Device device) {
        if (!"ToyDiT".equals(c.metadata().get(KIND_KEY))) {
            throw new SafeTensorsException(file, "not a Flowlab ToyDiT file (metadata " + KIND_KEY + " is "
                    + c.metadata().get(KIND_KEY) + ")");
        }
        DiTConfig config = DiTConfig.fromJson(c.metadata().get(CONFIG_KEY));
        List<String> words = new Gson().fromJson(c.metadata().get(VOCABULARY_KEY), new TypeToken<List<String>>() { }.getType());
        ToyDiT model = new ToyDiT(config, new Tokenizer(words, config.textLength()), device, 0);
        Map<String, long[]> expected = new LinkedHashMap<>();
        model.parameters().all().forEach(p -> expected.put(p.name(), p.shape().getShape()));
        try {
            Checkpoint.requireShapes(file, c, expected);
            try (NoGrad ng = NoGrad.enter(); NDManager tmp = model.manager().newSubManager()) {
                for (Parameter p : model.parameters().all()) {
                    p.copyFrom(c.tensor(p.name()).toNDArray(tmp));
                }
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** The provenance strings stored with the weights (command, seed, time...). */
    public static Map<String, String> metadata(Path file) throws IOException {
        return SafeTensors.read(file).metadata();
    }
}
