package org.flowlab.io;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.lora.WeightSet;
import org.flowlab.nn.NoGrad;

/**
 * LoRA files as diffusers/PEFT write them: keys {@code <prefix>.<module>.lora_A.weight} (r, in) and
 * {@code .lora_B.weight} (out, r), and {@code lora_adapter_metadata} (a JSON string with r and lora_alpha) so
 * diffusers does not fall back to alpha = r. Flowlab adds its own keys under {@code flowlab.*} (e.g. recommended
 * inference settings).
 */
public final class LoraFiles {
    public static final String DEFAULT_PREFIX = "transformer";
    public static final String ADAPTER_METADATA = "lora_adapter_metadata";

    private LoraFiles() {
    }

    /** Writes the adapter's own weights. */
    public static void export(LoraAdapter adapter, Path file, Map<String, String> extraMetadata) throws IOException {
        export(adapter, WeightSet.view(adapter), file, extraMetadata);
    }

    /** Writes another weight set of the adapter (an EMA) under the adapter's names. */
    public static void export(LoraAdapter adapter, WeightSet weights, Path file, Map<String, String> extraMetadata)
            throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String module : adapter.modules()) {
            LoraAdapter.Pair p = adapter.pair(module);
            tensors.put(DEFAULT_PREFIX + "." + p.a().name(), Tensor.of(weights.get(p.a().name())));
            tensors.put(DEFAULT_PREFIX + "." + p.b().name(), Tensor.of(weights.get(p.b().name())));
        }
        JsonObject peft = new JsonObject();
        peft.addProperty("r", adapter.rank());
        peft.addProperty("lora_alpha", adapter.alpha());
        peft.add("target_modules", new Gson().toJsonTree(adapter.modules()));
        peft.addProperty("init_lora_weights", "gaussian");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(ADAPTER_METADATA, peft.toString());
        meta.put("flowlab.adapter", adapter.name());
        if (extraMetadata != null) {
            meta.putAll(extraMetadata);
        }
        SafeTensors.write(file, tensors, meta, DType.F32);
    }

    /** A LoRA file read back: rank and alpha, and values by PEFT parameter name (prefix stripped). */
    public record LoraFile(Path file, int rank, double alpha, Map<String, Tensor> weights, Map<String, String> metadata) {
        public List<String> modules() {
            Set<String> m = new LinkedHashSet<>();
            for (String k : weights.keySet()) {
                m.add(k.substring(0, k.lastIndexOf(".lora_")));
            }
            return new ArrayList<>(m);
        }
    }

    public static LoraFile read(Path file) throws IOException {
        return fromContents(SafeTensors.read(file), file);
    }

    /** A LoRA file from bytes (a classpath resource); {@code source} names it in errors. */
    public static LoraFile read(byte[] bytes, String source) {
        Path p = Path.of(source);
        return fromContents(SafeTensors.decode(bytes, p), p);
    }

    private static LoraFile fromContents(SafeTensors.Contents c, Path file) {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        int rank = -1;
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            String key = e.getKey();
            if (!key.endsWith(".lora_A.weight") && !key.endsWith(".lora_B.weight")) {
                throw new SafeTensorsException(file, "key '" + key + "' is not a PEFT LoRA key (…lora_A.weight / …lora_B.weight)");
            }
            String name = key.startsWith(DEFAULT_PREFIX + ".") ? key.substring(DEFAULT_PREFIX.length() + 1) : key;
            if (key.endsWith(".lora_A.weight")) {
                int r = (int) e.getValue().shape()[0];
                if (rank >= 0 && r != rank) {
                    throw new SafeTensorsException(file, "mixed ranks " + rank + " and " + r + " (at " + key + ")");
                }
                rank = r;
            }
            weights.put(name, e.getValue());
        }
        if (rank < 0) {
            throw new SafeTensorsException(file, "holds no lora_A weights");
        }
        double alpha = rank; // diffusers' assumption when the metadata is missing
        String peft = c.metadata().get(ADAPTER_METADATA);
        if (peft != null) {
            JsonObject o = JsonParser.parseString(peft).getAsJsonObject();
            if (o.has("lora_alpha")) {
                alpha = o.get("lora_alpha").getAsDouble();
            }
        }
        return new LoraFile(file, rank, alpha, weights, c.metadata());
    }

    /** Reads a file and adds it to the model's LoRA host as a new adapter named {@code name}. */
    public static LoraAdapter load(Lora lora, Path file, String name) throws IOException {
        return load(lora, read(file), name);
    }

    /** Adds a LoRA file already read to the model's LoRA host as a new adapter named {@code name}. */
    public static LoraAdapter load(Lora lora, LoraFile f, String name) {
        Path file = f.file();
        List<String> modules = f.modules();
        for (String m : modules) {
            if (!lora.model().linears().containsKey(m)) {
                throw new IllegalArgumentException(file + ": module '" + m + "' is not a Linear of this model");
            }
        }
        LoraAdapter adapter = lora.add(new LoraConfig(name, f.rank(), f.alpha(),
                TargetSelector.exact(modules.toArray(String[]::new))), 0);
        try (NoGrad ng = NoGrad.enter()) {
            adapter.parameters().all().forEach(p -> {
                Tensor t = f.weights().get(p.name());
                if (t == null) {
                    throw new IllegalArgumentException(file + ": missing " + p.name());
                }
                try (var tmp = adapter.manager().newSubManager()) {
                    p.copyFrom(t.toNDArray(tmp));
                }
            });
        } catch (RuntimeException e) {
            lora.remove(name); // nothing half-loaded stays on the model
            throw e;
        }
        return adapter;
    }
}
