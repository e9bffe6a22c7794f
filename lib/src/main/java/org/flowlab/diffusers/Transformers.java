package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensorsFile;
import org.flowlab.io.Tensor;
import org.flowlab.lora.Lora;
import org.flowlab.model.NoGrad;

/**
 * What the {@code flowlab model} commands do with a diffusers model folder: one forward on a set of input tensors
 * (the fixtures' names), and the sizes a GPU plan needs (parameters, weight memory, LoRA size, activation memory with
 * and without recomputation), read from the config and the file headers alone.
 */
public final class Transformers {
    private Transformers() {
    }

    private static String className(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new IllegalArgumentException(dir + " has no config.json (is it a diffusers model folder?)");
        }
        return ModelFolder.classNameOf(JsonParser.parseString(Files.readString(cfg)).getAsJsonObject());
    }

    /**
     * One forward of the model in {@code dir} on {@code inputs} (names as diffusers' forward arguments, e.g.
     * {@code hidden_states}, {@code timestep}); returns the outputs under the fixtures' names ({@code sample}).
     *
     * @param dtype the compute dtype of the frozen base: FLOAT32 or FLOAT16
     * @param lora a LoRA file to apply (unmerged), or null
     */
    public static Map<String, Tensor> forward(Path dir, String variant, DataType dtype, Map<String, Tensor> inputs,
                                              Path lora) throws IOException {
        String cls = className(dir);
        if (cls.equals("SD3Transformer2DModel")) {
            return forwardSd3(dir, variant, dtype, inputs, lora);
        }
        if (cls.equals("AutoencoderKL")) {
            return forwardVae(dir, variant, inputs);
        }
        if (cls.startsWith("CLIPTextModel") || cls.equals("T5EncoderModel")) {
            return forwardText(dir, variant, cls, inputs);
        }
        if (!cls.equals("FluxTransformer2DModel")) {
            throw new IllegalArgumentException(dir + " holds a " + cls + "; model forward knows FluxTransformer2DModel,"
                    + " SD3Transformer2DModel, AutoencoderKL, CLIPTextModel[WithProjection] and T5EncoderModel");
        }
        long[] hs = need(inputs, "hidden_states").shape();
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(dir, variant, Device.cpu(), 2, 2, dtype);
             NDManager m = model.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            if (lora != null) {
                LoraFiles.load(Map.of("transformer", model), lora, "lora");
                Lora.of(model).activate("lora");
            }
            Tensor guidance = inputs.get("guidance");
            NDArray out = model.forward(need(inputs, "hidden_states").toNDArray(m),
                    need(inputs, "encoder_hidden_states").toNDArray(m), need(inputs, "pooled_projections").toNDArray(m),
                    need(inputs, "timestep").toNDArray(m), rows(need(inputs, "img_ids"), hs[1]),
                    rows(need(inputs, "txt_ids"), need(inputs, "encoder_hidden_states").shape()[1]),
                    guidance == null ? null : guidance.toNDArray(m));
            Map<String, Tensor> result = new LinkedHashMap<>();
            result.put("sample", Tensor.of(out));
            return result;
        }
    }

    private static Map<String, Tensor> forwardSd3(Path dir, String variant, DataType dtype, Map<String, Tensor> inputs,
                                                  Path lora) throws IOException {
        long[] hs = need(inputs, "hidden_states").shape();
        if (hs.length != 4) {
            throw new IllegalArgumentException("hidden_states has shape " + java.util.Arrays.toString(hs)
                    + "; SD3 takes latents (B, C, H, W)");
        }
        try (SD3Transformer2DModel model = SD3Transformer2DModel.load(dir, variant, Device.cpu(), (int) hs[2], (int) hs[3],
                dtype);
             NDManager m = model.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            if (lora != null) {
                LoraFiles.load(Map.of("transformer", model), lora, "lora");
                Lora.of(model).activate("lora");
            }
            NDArray out = model.forward(need(inputs, "hidden_states").toNDArray(m),
                    need(inputs, "encoder_hidden_states").toNDArray(m), need(inputs, "pooled_projections").toNDArray(m),
                    need(inputs, "timestep").toNDArray(m));
            Map<String, Tensor> result = new LinkedHashMap<>();
            result.put("sample", Tensor.of(out));
            return result;
        }
    }

    /** {@code sample} images -> latent_dist.mean / .logvar; {@code latents} -> decoded (unscaled, as diffusers' decode). */
    private static Map<String, Tensor> forwardVae(Path dir, String variant, Map<String, Tensor> inputs) throws IOException {
        Tensor sample = inputs.get("sample");
        Tensor latents = inputs.get("latents");
        if (sample == null && latents == null) {
            throw new IllegalArgumentException("an AutoencoderKL forward needs 'sample' (images to encode) or 'latents' (to"
                    + " decode); the inputs have " + inputs.keySet());
        }
        long[] s = sample != null ? sample.shape() : null;
        Map<String, Tensor> result = new LinkedHashMap<>();
        int factor = 1 << (JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject()
                .getAsJsonArray("block_out_channels").size() - 1);
        int h = (int) (s != null ? s[2] : latents.shape()[2] * factor);
        int w = (int) (s != null ? s[3] : latents.shape()[3] * factor);
        try (AutoencoderKL vae = AutoencoderKL.load(dir, variant, Device.cpu(), h, w);
             NDManager m = NDManager.newBaseManager(Device.cpu()); NoGrad ng = NoGrad.enter()) {
            if (sample != null) {
                NDArray[] dist = vae.latentDistribution(sample.toNDArray(m));
                result.put("latent_dist.mean", Tensor.of(dist[0]));
                result.put("latent_dist.logvar", Tensor.of(dist[1]));
            }
            if (latents != null) {
                result.put("decoded", Tensor.of(vae.decodeRaw(latents.toNDArray(m))));
            }
        }
        return result;
    }

    /** {@code input_ids} -> last_hidden_state, and for CLIP pooler_output (and text_embeds with a projection). */
    private static Map<String, Tensor> forwardText(Path dir, String variant, String cls, Map<String, Tensor> inputs)
            throws IOException {
        Tensor ids = need(inputs, "input_ids");
        Map<String, Tensor> result = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); NoGrad ng = NoGrad.enter()) {
            if (cls.equals("T5EncoderModel")) {
                try (T5EncoderModel t5 = T5EncoderModel.load(dir, variant, Device.cpu())) {
                    result.put("last_hidden_state", Tensor.of(t5.forward(ids.toNDArray(m))));
                }
            } else {
                try (CLIPTextModel clip = CLIPTextModel.load(dir, variant, Device.cpu())) {
                    CLIPTextModel.Output o = clip.forward(ids.toNDArray(m));
                    result.put("last_hidden_state", Tensor.of(o.lastHiddenState()));
                    result.put("pooler_output", Tensor.of(o.pooled()));
                    if (o.textEmbeds() != null) {
                        result.put("text_embeds", Tensor.of(o.textEmbeds()));
                    }
                }
            }
        }
        return result;
    }

    private static Tensor need(Map<String, Tensor> inputs, String name) {
        Tensor t = inputs.get(name);
        if (t == null) {
            throw new IllegalArgumentException("the inputs have no '" + name + "' (they have " + inputs.keySet() + ")");
        }
        return t;
    }

    /** (N, 3) ids, with N checked against the sequence they describe. */
    private static float[][] rows(Tensor t, long expected) {
        if (t.shape().length != 2 || t.shape()[0] != expected || t.shape()[1] != 3) {
            throw new IllegalArgumentException("ids of shape " + java.util.Arrays.toString(t.shape()) + " do not fit a"
                    + " sequence of " + expected + " tokens; expected [" + expected + ", 3]");
        }
        float[][] out = new float[(int) expected][3];
        for (int i = 0; i < expected; i++) {
            System.arraycopy(t.data(), i * 3, out[i], 0, 3);
        }
        return out;
    }

    /**
     * Sizes for a training plan.
     *
     * @param parameters scalars in the weight files
     * @param loraParameters scalars of a LoRA of this rank on the Linears the target pattern matches
     * @param activationsPlain floats kept for backward in one training step without recomputation (estimate)
     * @param activationsRecomputed the same with block-wise recomputation: block inputs plus one block's graph
     */
    public record Info(String className, long parameters, long loraParameters, int loraModules, long activationsPlain,
                       long activationsRecomputed, String assumptions) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, """
                    %s
                    parameters           %,d
                    weights fp32 / fp16  %s / %s
                    LoRA                 %,d parameters on %d Linears (%s in fp32; AdamW moments 2x that)
                    activations, plain   %s per step (estimate)
                    with recomputation   %s per step (estimate)
                    (%s)""", className, parameters, gb(parameters * 4), gb(parameters * 2), loraParameters,
                    loraModules, gb(loraParameters * 4), gb(activationsPlain * 4), gb(activationsRecomputed * 4),
                    assumptions);
        }

        private static String gb(long bytes) {
            return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9)
                    : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
    }

    /**
     * The sizes of the model in {@code dir} from its config and file headers (no weights are read).
     *
     * @param targets a named target set (glance-flux, glance-qwen, scfm, all) or a regular expression over Linear names
     * @param resolution image side in pixels (8x VAE, 2x2 packing), @param textLength text tokens
     */
    public static Info info(Path dir, String variant, String targets, int rank, int resolution, int batch,
                            int textLength) throws IOException {
        try (ModelFolder f = ModelFolder.open(dir, variant, DataType.FLOAT32)) {
            long params = 0;
            long lora = 0;
            int modules = 0;
            org.flowlab.lora.TargetSelector p = org.flowlab.lora.TargetSelector.named(targets);
            for (String key : f.keys()) {
                long[] s = f.shape(key);
                long n = 1;
                for (long d : s) {
                    n *= d;
                }
                params += n;
                if (key.endsWith(".weight") && s.length == 2) { // a Linear (norm gains are 1-D)
                    String module = key.substring(0, key.length() - ".weight".length());
                    if (p.matches(module)) {
                        lora += (long) rank * (s[0] + s[1]);
                        modules++;
                    }
                }
            }
            long plain = 0;
            long recomputed = 0;
            String assumptions = "parameter count from the file headers";
            if (f.className().equals("FluxTransformer2DModel")) {
                FluxTransformer2DModel.Config c = FluxTransformer2DModel.Config.of(f);
                long d = c.width();
                long tokens = (long) (resolution / 16) * (resolution / 16);
                long seq = tokens + textLength;
                long heads = c.numAttentionHeads();
                // per block: ~20 (double) / ~18 (single) (S, D) tensors kept for backward, and the attention
                // probabilities (H, S, S); fused attention would drop the S^2 term
                long perDouble = 20 * seq * d + 2 * heads * seq * seq;
                long perSingle = 18 * seq * d + 2 * heads * seq * seq;
                plain = batch * (c.numLayers() * perDouble + c.numSingleLayers() * perSingle);
                long inputs = batch * (c.numLayers() + c.numSingleLayers()) * seq * d;
                recomputed = inputs + batch * Math.max(perDouble, perSingle);
                assumptions = String.format(Locale.ROOT, "%d px: %d image + %d text tokens, batch %d, fp32 activations,"
                        + " unfused attention", resolution, tokens, textLength, batch);
            }
            if (f.className().equals("SD3Transformer2DModel")) {
                SD3Transformer2DModel.Config c = SD3Transformer2DModel.Config.of(f);
                long d = c.width();
                long side = resolution / 8 / c.patchSize();
                long tokens = side * side;
                long seq = tokens + textLength;
                long heads = c.numAttentionHeads();
                long perBlock = 20 * seq * d + 2 * heads * seq * seq;
                long perDual = perBlock + 6 * tokens * d + 2 * heads * tokens * tokens; // attn2: image self-attention
                long dual = c.dualAttentionLayers().size();
                plain = batch * ((c.numLayers() - dual) * perBlock + dual * perDual);
                recomputed = batch * (c.numLayers() * 2 * seq * d) + batch * (dual > 0 ? perDual : perBlock);
                assumptions = String.format(Locale.ROOT, "%d px: %d image + %d text tokens, batch %d, fp32 activations,"
                        + " unfused attention", resolution, tokens, textLength, batch);
            }
            return new Info(f.className(), params, lora, modules, plain, recomputed, assumptions);
        }
    }

    /** Reads the tensors of one input set ({@code set0.} prefix stripped), or every tensor when {@code set} is null. */
    public static Map<String, Tensor> inputs(Path file, String set) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(file); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (String k : f.entries().keySet()) {
                String name = set == null ? k : k.startsWith(set + ".") ? k.substring(set.length() + 1) : null;
                if (name != null) {
                    out.put(name, Tensor.of(f.load(k, m, DataType.FLOAT32)));
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + " has no tensors" + (set == null ? "" : " of set '" + set + "'"));
        }
        return out;
    }
}
