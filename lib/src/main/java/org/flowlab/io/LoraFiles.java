package org.flowlab.io;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.lora.WeightSet;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.Component;
import org.flowlab.model.NoGrad;

/**
 * LoRA files, one adapter per model component, in the two layouts the ecosystem reads (DIFFUSERS.md, "LoRA files"):
 * <ul>
 *   <li>diffusers/PEFT: {@code <component>.<module>.lora_A.weight} (r, in) and {@code .lora_B.weight} (out, r), and
 *       {@code lora_adapter_metadata}, a JSON string with {@code <component>.r}, {@code <component>.lora_alpha} and
 *       {@code <component>.target_modules}, so diffusers does not fall back to alpha = r;</li>
 *   <li>kohya (ComfyUI, kohya's scripts): {@code lora_unet_<module, dots as underscores>.lora_down.weight},
 *       {@code .lora_up.weight} and {@code .alpha}; text encoders under {@code lora_te_}, {@code lora_te2_}, ....</li>
 * </ul>
 * Components are named as a diffusers pipeline names them ({@code transformer}, {@code text_encoder}). Flowlab adds
 * its own metadata under {@code flowlab.*} (recommended inference settings).
 */
public final class LoraFiles {
    public static final String ADAPTER_METADATA = "lora_adapter_metadata";

    /** The two file layouts. */
    public enum Layout {
        PEFT, KOHYA
    }

    private static final Pattern PEFT_KEY = Pattern.compile("([A-Za-z0-9_]+)\\.(.+)\\.lora_([AB])\\.weight");
    private static final Pattern KOHYA_KEY = Pattern.compile("lora_(unet|te\\d*)_(.+)\\.(lora_down\\.weight|lora_up\\.weight|alpha)");

    private LoraFiles() {
    }

    /**
     * One component's adapter as read from a file.
     *
     * @param modules module name as the file spells it (dotted for PEFT; underscores for kohya) -> its A, B and
     *     (kohya) alpha
     */
    public record Part(int rank, double alpha, Map<String, ModuleWeights> modules) {
    }

    /** A (r, in), B (out, r), and the module's own alpha (NaN: the part's). */
    public record ModuleWeights(Tensor a, Tensor b, double alpha) {
    }

    /** A LoRA file read back: parts by component, its metadata and its layout. */
    public record LoraFile(Path file, Layout layout, Map<String, Part> parts, Map<String, String> metadata) {
        /** The transformer part's rank (the usual question). */
        public int rank() {
            return part(org.flowlab.model.DiffusionModel.TRANSFORMER).rank();
        }

        public double alpha() {
            return part(org.flowlab.model.DiffusionModel.TRANSFORMER).alpha();
        }

        public Part part(String component) {
            Part p = parts.get(component);
            if (p == null) {
                throw new IllegalArgumentException(file + " holds no adapter for '" + component + "' (it has " + parts.keySet() + ")");
            }
            return p;
        }
    }

    // ---- writing ----

    /** Writes a transformer adapter's own weights in the PEFT layout. */
    public static void export(LoraAdapter transformerAdapter, Path file, Map<String, String> extraMetadata) throws IOException {
        export(Map.of(org.flowlab.model.DiffusionModel.TRANSFORMER, transformerAdapter), Map.of(), file, extraMetadata, Layout.PEFT);
    }

    /**
     * Writes adapters by component.
     *
     * @param weights per component, another weight set of the adapter to write (an EMA) instead of its own; may be empty
     */
    public static void export(Map<String, LoraAdapter> adapters, Map<String, WeightSet> weights, Path file,
                              Map<String, String> extraMetadata, Layout layout) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        JsonObject peft = new JsonObject();
        String adapterName = null;
        for (Map.Entry<String, LoraAdapter> e : adapters.entrySet()) {
            String component = e.getKey();
            LoraAdapter adapter = e.getValue();
            adapterName = adapter.name();
            WeightSet w = weights.getOrDefault(component, WeightSet.view(adapter));
            for (String module : adapter.modules()) {
                LoraAdapter.Pair p = adapter.pair(module);
                Tensor a = Tensor.of(w.get(p.a().name()));
                Tensor b = Tensor.of(w.get(p.b().name()));
                if (layout == Layout.PEFT) {
                    tensors.put(component + "." + p.a().name(), a);
                    tensors.put(component + "." + p.b().name(), b);
                } else {
                    String k = kohyaPrefix(component) + module.replace('.', '_');
                    tensors.put(k + ".lora_down.weight", a);
                    tensors.put(k + ".lora_up.weight", b);
                    tensors.put(k + ".alpha", new Tensor(new long[0], new float[] {(float) adapter.alpha()}));
                }
            }
            peft.addProperty(component + ".r", adapter.rank());
            peft.addProperty(component + ".lora_alpha", adapter.alpha());
            peft.add(component + ".target_modules", new Gson().toJsonTree(adapter.modules().stream().sorted().toList()));
            peft.addProperty(component + ".init_lora_weights", "gaussian");
            peft.addProperty(component + ".peft_type", "LORA");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        if (layout == Layout.PEFT) {
            meta.put(ADAPTER_METADATA, sorted(peft).toString());
        }
        if (adapterName != null) {
            meta.put("flowlab.adapter", adapterName);
        }
        if (extraMetadata != null) {
            meta.putAll(extraMetadata);
        }
        SafeTensors.write(file, tensors, meta, DType.F32);
    }

    private static JsonObject sorted(JsonObject o) {
        JsonObject out = new JsonObject();
        new TreeMap<>(o.asMap()).forEach(out::add);
        return out;
    }

    /** kohya's prefix of a component: {@code lora_unet_} for the denoiser, {@code lora_te_}, {@code lora_te2_}, ... */
    static String kohyaPrefix(String component) {
        if (component.equals(org.flowlab.model.DiffusionModel.TRANSFORMER) || component.equals("unet")) {
            return "lora_unet_";
        }
        Matcher m = Pattern.compile("text_encoder(?:_(\\d+))?").matcher(component);
        if (!m.matches()) {
            throw new IllegalArgumentException("component '" + component + "' has no kohya name; use transformer or text_encoder[_N]");
        }
        return m.group(1) == null ? "lora_te_" : "lora_te" + m.group(1) + "_";
    }

    private static String componentOfKohya(String token) {
        if (token.equals("unet")) {
            return org.flowlab.model.DiffusionModel.TRANSFORMER;
        }
        String n = token.substring(2);
        return n.isEmpty() || n.equals("1") ? "text_encoder" : "text_encoder_" + n;
    }

    // ---- reading ----

    public static LoraFile read(Path file) throws IOException {
        return fromContents(SafeTensors.read(file), file);
    }

    /** A LoRA file from bytes (a classpath resource); {@code source} names it in errors. */
    public static LoraFile read(byte[] bytes, String source) {
        Path p = Path.of(source);
        return fromContents(SafeTensors.decode(bytes, p), p);
    }

    private static LoraFile fromContents(SafeTensors.Contents c, Path file) {
        // diffusers picks the kohya converter whenever any key has .lora_down.weight; so does Flowlab
        boolean kohya = c.tensors().keySet().stream().anyMatch(k -> k.endsWith(".lora_down.weight"));
        return kohya ? readKohya(c, file) : readPeft(c, file);
    }

    private static LoraFile readPeft(SafeTensors.Contents c, Path file) {
        Map<String, Map<String, Tensor[]>> byComponent = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            Matcher m = PEFT_KEY.matcher(e.getKey());
            if (!m.matches()) {
                throw new SafeTensorsException(file, "key '" + e.getKey() + "' is not a LoRA key of the diffusers/PEFT"
                        + " layout (<component>.<module>.lora_A.weight / .lora_B.weight) nor of the kohya layout");
            }
            Tensor[] ab = byComponent.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>())
                    .computeIfAbsent(m.group(2), k -> new Tensor[2]);
            ab[m.group(3).equals("A") ? 0 : 1] = e.getValue();
        }
        JsonObject peft = c.metadata().containsKey(ADAPTER_METADATA)
                ? JsonParser.parseString(c.metadata().get(ADAPTER_METADATA)).getAsJsonObject() : new JsonObject();
        Map<String, Part> parts = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Tensor[]>> e : byComponent.entrySet()) {
            String component = e.getKey();
            Map<String, ModuleWeights> modules = new LinkedHashMap<>();
            int rank = -1;
            for (Map.Entry<String, Tensor[]> me : e.getValue().entrySet()) {
                Tensor a = me.getValue()[0];
                Tensor b = me.getValue()[1];
                String key = component + "." + me.getKey();
                if (a == null || b == null) {
                    throw new SafeTensorsException(file, "module '" + key + "' has " + (a == null ? "no lora_A" : "no lora_B")
                            + " weight");
                }
                rank = checkRank(file, key, a, b, rank, "lora_A", "lora_B");
                modules.put(me.getKey(), new ModuleWeights(a, b, Double.NaN));
            }
            // diffusers writes "<component>.lora_alpha"; older PEFT files carry a bare "lora_alpha"
            double alpha = number(peft, component + ".lora_alpha", number(peft, "lora_alpha", rank));
            parts.put(component, new Part(rank, alpha, modules));
        }
        if (parts.isEmpty()) {
            throw new SafeTensorsException(file, "holds no LoRA weights");
        }
        return new LoraFile(file, Layout.PEFT, parts, c.metadata());
    }

    private static LoraFile readKohya(SafeTensors.Contents c, Path file) {
        Map<String, Map<String, Tensor[]>> byComponent = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            Matcher m = KOHYA_KEY.matcher(e.getKey());
            if (!m.matches()) {
                throw new SafeTensorsException(file, "key '" + e.getKey() + "' is not a kohya LoRA key"
                        + " (lora_unet_<module>.lora_down.weight / .lora_up.weight / .alpha)");
            }
            Tensor[] parts = byComponent.computeIfAbsent(componentOfKohya(m.group(1)), k -> new LinkedHashMap<>())
                    .computeIfAbsent(m.group(2), k -> new Tensor[3]);
            parts[switch (m.group(3)) {
                case "lora_down.weight" -> 0;
                case "lora_up.weight" -> 1;
                default -> 2;
            }] = e.getValue();
        }
        Map<String, Part> parts = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Tensor[]>> e : byComponent.entrySet()) {
            Map<String, ModuleWeights> modules = new LinkedHashMap<>();
            int rank = -1;
            double common = Double.NaN;
            boolean same = true;
            for (Map.Entry<String, Tensor[]> me : e.getValue().entrySet()) {
                Tensor[] t = me.getValue();
                String key = kohyaPrefix(e.getKey()) + me.getKey();
                if (t[0] == null || t[1] == null) {
                    throw new SafeTensorsException(file, "module '" + key + "' has " + (t[0] == null ? "no lora_down" : "no lora_up")
                            + " weight");
                }
                rank = checkRank(file, key, t[0], t[1], rank, "lora_down", "lora_up");
                double alpha = t[2] == null ? rank : t[2].data()[0]; // no alpha: kohya's scripts use alpha = rank
                same &= Double.isNaN(common) || alpha == common;
                common = Double.isNaN(common) ? alpha : common;
                modules.put(me.getKey(), new ModuleWeights(t[0], t[1], alpha));
            }
            parts.put(e.getKey(), new Part(rank, same ? common : rank, modules));
        }
        if (parts.isEmpty()) {
            throw new SafeTensorsException(file, "holds no LoRA weights");
        }
        return new LoraFile(file, Layout.KOHYA, parts, c.metadata());
    }

    private static int checkRank(Path file, String key, Tensor a, Tensor b, int rank, String aName, String bName) {
        if (a.shape().length != 2 || b.shape().length != 2 || a.shape()[0] != b.shape()[1]) {
            throw new SafeTensorsException(file, "module '" + key + "': " + aName + " " + Arrays.toString(a.shape())
                    + " and " + bName + " " + Arrays.toString(b.shape()) + " are not (r, in) and (out, r)");
        }
        int r = (int) a.shape()[0];
        if (rank >= 0 && r != rank) {
            throw new SafeTensorsException(file, "mixed ranks " + rank + " and " + r + " (at '" + key + "'); Flowlab"
                    + " adapters have one rank");
        }
        return r;
    }

    private static double number(JsonObject o, String key, double fallback) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? fallback : e.getAsDouble();
    }

    // ---- loading onto a model ----

    /** Reads a file and adds it to the model's components as adapters named {@code name}. */
    public static Map<String, LoraAdapter> load(Map<String, ? extends Component> components, Path file, String name)
            throws IOException {
        return load(components, read(file), name);
    }

    /**
     * Adds a LoRA file already read to the components (by file prefix) as adapters named {@code name}, replacing
     * adapters of that name. Everything is checked first (every module exists and is a Linear; ranks and shapes
     * fit), so a bad file changes nothing on the model.
     */
    public static Map<String, LoraAdapter> load(Map<String, ? extends Component> components, LoraFile f, String name) {
        Map<String, Map<String, ModuleWeights>> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, Part> e : f.parts().entrySet()) {
            Component component = components.get(e.getKey());
            if (component == null) {
                throw new IllegalArgumentException(f.file() + ": it holds an adapter for '" + e.getKey()
                        + "', which this model does not have (it has " + components.keySet() + ")");
            }
            resolved.put(e.getKey(), resolve(f, e.getKey(), e.getValue(), component));
        }
        Map<String, LoraAdapter> added = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Map<String, ModuleWeights>> e : resolved.entrySet()) {
                Part part = f.parts().get(e.getKey());
                Lora lora = Lora.of(components.get(e.getKey()));
                if (lora.has(name)) {
                    lora.remove(name);
                }
                LoraAdapter adapter = lora.add(new LoraConfig(name, part.rank(), part.alpha(),
                        TargetSelector.exact(e.getValue().keySet().toArray(String[]::new))), 0);
                added.put(e.getKey(), adapter);
                try (NoGrad ng = NoGrad.enter(); NDManager tmp = adapter.manager().newSubManager()) {
                    for (Map.Entry<String, ModuleWeights> me : e.getValue().entrySet()) {
                        LoraAdapter.Pair p = adapter.pair(me.getKey());
                        ModuleWeights m = me.getValue();
                        p.a().copyFrom(m.a().toNDArray(tmp));
                        // a kohya module whose alpha differs from the adapter's carries its own scale inside B
                        double rescale = Double.isNaN(m.alpha()) ? 1 : m.alpha() / part.alpha();
                        p.b().copyFrom(rescale == 1 ? m.b().toNDArray(tmp) : m.b().toNDArray(tmp).mul((float) rescale));
                    }
                }
            }
        } catch (RuntimeException e) {
            added.forEach((component, a) -> Lora.of(components.get(component)).remove(name)); // nothing half-loaded stays
            throw e;
        }
        return added;
    }

    /** File module names -> the component's Linear names, with shapes checked; errors name the key. */
    private static Map<String, ModuleWeights> resolve(LoraFile f, String component, Part part, Component target) {
        Map<String, LinearLayer> linears = target.linears();
        Map<String, String> byKohya = new LinkedHashMap<>();
        if (f.layout() == Layout.KOHYA) {
            linears.keySet().forEach(n -> byKohya.put(n.replace('.', '_'), n));
        }
        Map<String, ModuleWeights> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, ModuleWeights> e : part.modules().entrySet()) {
            String module = f.layout() == Layout.KOHYA ? byKohya.get(e.getKey()) : e.getKey();
            String key = f.layout() == Layout.KOHYA ? kohyaPrefix(component) + e.getKey() : component + "." + e.getKey();
            LinearLayer layer = module == null ? null : linears.get(module);
            if (layer == null) {
                problems.add("key '" + key + "' maps to no Linear of the " + component + " (names look like "
                        + String.join(", ", linears.keySet().stream().limit(3).toList()) + ")");
                continue;
            }
            long[] a = e.getValue().a().shape();
            long[] b = e.getValue().b().shape();
            if (a[1] != layer.inFeatures() || b[0] != layer.outFeatures()) {
                problems.add("module '" + component + "." + module + "' is a Linear " + layer.inFeatures() + " -> "
                        + layer.outFeatures() + " (A must be [" + part.rank() + ", " + layer.inFeatures() + "], B ["
                        + layer.outFeatures() + ", " + part.rank() + "]) but the file has A " + Arrays.toString(a)
                        + " and B " + Arrays.toString(b));
                continue;
            }
            out.put(module, e.getValue());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(f.file() + ": " + problems.get(0)
                    + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""));
        }
        return out;
    }
}
