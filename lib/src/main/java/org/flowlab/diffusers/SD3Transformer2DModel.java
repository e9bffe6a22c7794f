package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.flowlab.model.BuiltComponent;
import org.flowlab.model.Conditioning;
import org.flowlab.model.FlowModel;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.Ops;
import org.flowlab.model.Parameter;

/**
 * diffusers' {@code SD3Transformer2DModel} (SD3 and SD3.5) as a {@link FlowModel}, every Linear under its diffusers
 * state_dict name:
 * <pre>
 * latents (B,C,H,W) -> pos_embed.proj (a p x p patch conv) + the stored sin-cos table, centre-cropped   (B,T,D)
 * encoder_hidden_states (B,L,E) -> context_embedder                                              (B,L,D)
 * temb = timestep_embedder(timestep) + text_embedder(pooled)                                     (B,D)
 * transformer_blocks.N: AdaLayerNormZero (SD3.5 dual-attention layers: SD35AdaLayerNormZeroX and a second,
 *   image-only attention attn2), joint attention over [image; text] (optional RMS q/k norms), GELU(tanh) MLPs;
 *   the last block is context_pre_only (norm1_context continuous, no to_add_out, no ff_context)
 * norm_out (AdaLayerNormContinuous: scale, then shift) -> proj_out -> unpatchify                 (B,C,H,W)
 * </pre>
 * Conditioning tensors: {@value #TEXT} (B, L, joint_attention_dim), {@value #POOLED} (B, pooled_projection_dim); no
 * guidance input (SD3 uses true classifier-free guidance). The timestep is {@code 1000 sigma}, as the pipeline passes.
 */
public final class SD3Transformer2DModel extends BuiltComponent implements FlowModel {
    public static final String TEXT = "encoder_hidden_states";
    public static final String POOLED = "pooled_projections";
    private static final float EPS = 1e-6f;

    /** The config.json fields this class reads. */
    public record Config(int sampleSize, int patchSize, int inChannels, int outChannels, int numLayers,
                         int attentionHeadDim, int numAttentionHeads, int jointAttentionDim, int captionProjectionDim,
                         int pooledProjectionDim, int posEmbedMaxSize, Set<Integer> dualAttentionLayers, boolean qkNorm) {
        static Config of(ModelFolder f) {
            String qk = f.string("qk_norm", null);
            if (qk != null && !qk.equals("rms_norm")) {
                throw f.unsupported("qk_norm", "'" + qk + "'", "Flowlab's SD3 knows no q/k norm (SD3) and rms_norm (SD3.5)");
            }
            int heads = f.integer("num_attention_heads", 18);
            int head = f.integer("attention_head_dim", 64);
            int caption = f.integer("caption_projection_dim", 1152);
            if (caption != heads * head) {
                throw f.unsupported("caption_projection_dim", caption, "it must equal num_attention_heads x"
                        + " attention_head_dim = " + heads * head);
            }
            if (!f.config().has("pos_embed_max_size") || f.config().get("pos_embed_max_size").isJsonNull()) {
                throw f.unsupported("pos_embed_max_size", "null", "Flowlab reads SD3's stored, cropped position table");
            }
            int in = f.integer("in_channels", 16);
            Set<Integer> dual = f.config().has("dual_attention_layers")
                    ? Set.copyOf(java.util.Arrays.stream(f.integers("dual_attention_layers")).boxed().toList()) : Set.of();
            return new Config(f.integer("sample_size", 128), f.integer("patch_size", 2), in, f.integer("out_channels", in),
                    f.integer("num_layers", 18), head, heads, f.integer("joint_attention_dim", 4096), caption,
                    f.integer("pooled_projection_dim", 2048), f.integer("pos_embed_max_size"), dual, qk != null);
        }

        int width() {
            return attentionHeadDim * numAttentionHeads;
        }
    }

    /** One attention's projections; the added (context) ones are null in attn2, toAddOut is null in the last block. */
    private record Attn(LinearLayer toQ, LinearLayer toK, LinearLayer toV, LinearLayer toOut, LinearLayer addQ,
                        LinearLayer addK, LinearLayer addV, LinearLayer toAddOut, Parameter normQ, Parameter normK,
                        Parameter normAddedQ, Parameter normAddedK) {
    }

    private record Block(boolean dual, boolean contextPreOnly, LinearLayer norm1, LinearLayer norm1Context, Attn attn,
                         Attn attn2, LinearLayer ff0, LinearLayer ff2, LinearLayer ffContext0, LinearLayer ffContext2) {
    }

    private final Config config;
    private final long[] latentShape;
    private final Parameter patchWeight; // (D, C, p, p)
    private final Parameter patchBias;
    private final Parameter positions;   // (1, max*max, D)
    private final Blocks.TimestepEmbedding timeMlp;
    private final Blocks.TimestepEmbedding textMlp;
    private final LinearLayer contextEmbedder;
    private final List<Block> blocks = new ArrayList<>();
    private final LinearLayer normOut;
    private final LinearLayer projOut;

    private SD3Transformer2DModel(Config c, ModuleBuilder mb, NDManager manager, long[] latentShape) {
        super(manager, mb);
        this.config = c;
        this.latentShape = latentShape;
        int d = c.width();
        int p = c.patchSize();
        int max = c.posEmbedMaxSize();
        positions = mb.tensor("pos_embed.pos_embed", new Shape(1, (long) max * max, d), Init.ZERO);
        patchWeight = mb.tensor("pos_embed.proj.weight", new Shape(d, c.inChannels(), p, p), Init.XAVIER);
        patchBias = mb.tensor("pos_embed.proj.bias", new Shape(d), Init.ZERO);
        timeMlp = Blocks.TimestepEmbedding.of(mb, "time_text_embed.timestep_embedder", 256, d);
        textMlp = Blocks.TimestepEmbedding.of(mb, "time_text_embed.text_embedder", c.pooledProjectionDim(), d);
        contextEmbedder = mb.linear("context_embedder", c.jointAttentionDim(), c.captionProjectionDim(), true, Init.XAVIER);
        for (int i = 0; i < c.numLayers(); i++) {
            String n = "transformer_blocks." + i + ".";
            boolean last = i == c.numLayers() - 1;
            boolean dual = c.dualAttentionLayers().contains(i);
            LinearLayer norm1 = mb.linear(n + "norm1.linear", d, (dual ? 9L : 6L) * d, true, Init.ZERO);
            LinearLayer norm1Context = mb.linear(n + "norm1_context.linear", d, (last ? 2L : 6L) * d, true, Init.ZERO);
            Attn attn = attention(mb, n + "attn.", d, true, !last);
            Attn attn2 = dual ? attention(mb, n + "attn2.", d, false, false) : null;
            blocks.add(new Block(dual, last, norm1, norm1Context, attn, attn2,
                    mb.linear(n + "ff.net.0.proj", d, 4L * d, true, Init.XAVIER),
                    mb.linear(n + "ff.net.2", 4L * d, d, true, Init.XAVIER),
                    last ? null : mb.linear(n + "ff_context.net.0.proj", d, 4L * d, true, Init.XAVIER),
                    last ? null : mb.linear(n + "ff_context.net.2", 4L * d, d, true, Init.XAVIER)));
        }
        normOut = mb.linear("norm_out.linear", d, 2L * d, true, Init.ZERO);
        projOut = mb.linear("proj_out", d, (long) p * p * c.outChannels(), true, Init.ZERO);
    }

    /** Creation order follows diffusers' Attention: norms, q/k/v, added k/v/q, out, added out, added norms. */
    private Attn attention(ModuleBuilder mb, String n, int d, boolean added, boolean addOut) {
        int head = config.attentionHeadDim();
        Parameter nq = config.qkNorm() ? mb.constant(n + "norm_q.weight", new Shape(head), 1f) : null;
        Parameter nk = config.qkNorm() ? mb.constant(n + "norm_k.weight", new Shape(head), 1f) : null;
        LinearLayer q = mb.linear(n + "to_q", d, d, true, Init.XAVIER);
        LinearLayer k = mb.linear(n + "to_k", d, d, true, Init.XAVIER);
        LinearLayer v = mb.linear(n + "to_v", d, d, true, Init.XAVIER);
        LinearLayer addK = added ? mb.linear(n + "add_k_proj", d, d, true, Init.XAVIER) : null;
        LinearLayer addV = added ? mb.linear(n + "add_v_proj", d, d, true, Init.XAVIER) : null;
        LinearLayer addQ = added ? mb.linear(n + "add_q_proj", d, d, true, Init.XAVIER) : null;
        LinearLayer out = mb.linear(n + "to_out.0", d, d, true, Init.XAVIER);
        LinearLayer addOutLayer = added && addOut ? mb.linear(n + "to_add_out", d, d, true, Init.XAVIER) : null;
        Parameter naq = added && config.qkNorm() ? mb.constant(n + "norm_added_q.weight", new Shape(head), 1f) : null;
        Parameter nak = added && config.qkNorm() ? mb.constant(n + "norm_added_k.weight", new Shape(head), 1f) : null;
        return new Attn(q, k, v, out, addQ, addK, addV, addOutLayer, nq, nk, naq, nak);
    }


    /** Loads a diffusers {@code transformer/} folder; {@code height} x {@code width} is the latent size it samples at. */
    public static SD3Transformer2DModel load(Path dir, String variant, Device device, int height, int width)
            throws IOException {
        return load(dir, variant, device, height, width, DataType.FLOAT32);
    }

    /**
     * As {@link #load(Path, String, Device, int, int)}, computing in {@code dtype}: FLOAT32, or FLOAT16 for the
     * frozen base (LoRA weights and optimizer state stay float32; norms and rotary embeddings run in float32).
     */
    public static SD3Transformer2DModel load(Path dir, String variant, Device device, int height, int width, DataType dtype)
            throws IOException {
        return ModelFolder.load(dir, variant, dtype, device, "an SD3Transformer2DModel", Set.of("SD3Transformer2DModel"),
                (f, mb, m) -> {
                    Config c = Config.of(f);
                    requireSize(c, height, width);
                    return new SD3Transformer2DModel(c, mb, m, new long[] {c.inChannels(), height, width});
                });
    }

    private static void requireSize(Config c, long height, long width) {
        int p = c.patchSize();
        if (height % p != 0 || width % p != 0 || height / p > c.posEmbedMaxSize() || width / p > c.posEmbedMaxSize()) {
            throw new IllegalArgumentException("latent size " + height + "x" + width + " does not fit: it must be a"
                    + " multiple of patch_size " + p + " and at most " + c.posEmbedMaxSize() * p + " (pos_embed_max_size "
                    + c.posEmbedMaxSize() + " patches)");
        }
    }

    public Config config() {
        return config;
    }

    /**
     * diffusers' forward, argument for argument: hidden_states (B, C, H, W), encoder_hidden_states (B, L, E),
     * pooled_projections (B, P), timestep (B) in [0, 1000] -> sample (B, out_channels, H, W).
     */
    public NDArray forward(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooled, NDArray timestep) {
        Shape s = hiddenStates.getShape();
        requireSize(config, s.get(2), s.get(3));
        int p = config.patchSize();
        long h = s.get(2) / p;
        long w = s.get(3) / p;
        DataType dt = dtype();
        NDArray img = patchEmbed(Ops.cast(hiddenStates, dt)).add(croppedPositions(h, w));    // (B,T,D)
        NDArray temb = timeMlp.forward(Ops.cast(Blocks.timestepFeatures(timestep, 256, true, 0), dt))
                .add(textMlp.forward(Ops.cast(pooled, dt)));
        NDArray siluTemb = Blocks.silu(temb);                                                     // (B,D)
        NDArray txt = contextEmbedder.forward(Ops.cast(encoderHiddenStates, dt));            // (B,L,D)
        for (Block b : blocks) {
            NDArray[] out = block(b, img, txt, siluTemb);
            txt = out[0];
            img = out[1];
        }
        NDList scaleShift = normOut.forward(siluTemb).split(2, 1);                                // scale first, then shift
        NDArray patches = projOut.forward(Blocks.modulate(Blocks.layerNorm(img, EPS), scaleShift.get(1), scaleShift.get(0)));
        long c = config.outChannels();
        return Blocks.float32(patches).reshape(s.get(0), h, w, p, p, c).transpose(0, 5, 1, 3, 2, 4).reshape(s.get(0), c, h * p, w * p);
    }

    /** The p x p, stride-p patch conv as one matmul: patches (B, T, C p p) in the weight's (C, p, q) order. */
    private NDArray patchEmbed(NDArray x) {
        Shape s = x.getShape();
        int p = config.patchSize();
        long c = s.get(1);
        long h = s.get(2) / p;
        long w = s.get(3) / p;
        NDArray patches = x.reshape(s.get(0), c, h, p, w, p).transpose(0, 2, 4, 1, 3, 5).reshape(s.get(0), h * w, c * p * p);
        NDArray weight = patchWeight.array().reshape(patchWeight.shape().get(0), -1);
        return Linear.linear(patches, weight, patchBias.array()).singletonOrThrow();
    }

    /** {@code PatchEmbed.cropped_pos_embed}: the centre h x w of the stored max x max table. */
    private NDArray croppedPositions(long h, long w) {
        int max = config.posEmbedMaxSize();
        long top = (max - h) / 2;
        long left = (max - w) / 2;
        NDArray table = positions.array().reshape(1, max, max, -1);
        return table.get(":, " + top + ":" + (top + h) + ", " + left + ":" + (left + w) + ", :").reshape(1, h * w, -1);
    }


    /** JointTransformerBlock: returns {text (null after the last block), image}. */
    private NDArray[] block(Block b, NDArray img, NDArray txt, NDArray siluTemb) {
        NDList mi = b.norm1().forward(siluTemb).split(b.dual() ? 9 : 6, 1);
        NDArray normed = Blocks.layerNorm(img, EPS);
        NDArray ni = Blocks.modulate(normed, mi.get(0), mi.get(1));
        NDArray nt;
        NDList mt = null;
        if (b.contextPreOnly()) {
            NDList scaleShift = b.norm1Context().forward(siluTemb).split(2, 1);                   // scale, shift
            nt = Blocks.modulate(Blocks.layerNorm(txt, EPS), scaleShift.get(1), scaleShift.get(0));
        } else {
            mt = b.norm1Context().forward(siluTemb).split(6, 1);
            nt = Blocks.modulate(Blocks.layerNorm(txt, EPS), mt.get(0), mt.get(1));
        }
        NDArray[] attn = jointAttention(b.attn(), ni, nt);
        img = img.add(mi.get(2).expandDims(1).mul(attn[0]));
        if (b.dual()) {
            NDArray ni2 = Blocks.modulate(normed, mi.get(6), mi.get(7));
            img = img.add(mi.get(8).expandDims(1).mul(selfAttention(b.attn2(), ni2)));
        }
        NDArray ffIn = Blocks.modulate(Blocks.layerNorm(img, EPS), mi.get(3), mi.get(4));
        img = img.add(mi.get(5).expandDims(1).mul(b.ff2().forward(Blocks.geluTanh(b.ff0().forward(ffIn)))));
        if (b.contextPreOnly()) {
            return new NDArray[] {null, img};
        }
        txt = txt.add(mt.get(2).expandDims(1).mul(attn[1]));
        NDArray ffcIn = Blocks.modulate(Blocks.layerNorm(txt, EPS), mt.get(3), mt.get(4));
        txt = txt.add(mt.get(5).expandDims(1).mul(b.ffContext2().forward(Blocks.geluTanh(b.ffContext0().forward(ffcIn)))));
        return new NDArray[] {txt, img};
    }

    /** JointAttnProcessor2_0: image tokens first, then text; returns {image out (to_out.0), text out (to_add_out)}. */
    private NDArray[] jointAttention(Attn a, NDArray img, NDArray txt) {
        int heads = config.numAttentionHeads();
        NDArray q = NDArrays.concat(new NDList(heads(a.toQ().forward(img), a.normQ(), heads),
                heads(a.addQ().forward(txt), a.normAddedQ(), heads)), 1);                          // (B,T+L,H,Dh)
        NDArray k = NDArrays.concat(new NDList(heads(a.toK().forward(img), a.normK(), heads),
                heads(a.addK().forward(txt), a.normAddedK(), heads)), 1);
        NDArray v = NDArrays.concat(new NDList(heads(a.toV().forward(img), null, heads), heads(a.addV().forward(txt), null, heads)), 1);
        NDArray o = Blocks.attention(q, k, v);                                                    // (B,T+L,D)
        long t = img.getShape().get(1);
        NDArray oImg = a.toOut().forward(o.get(":, :" + t + ", :"));
        NDArray oTxt = o.get(":, " + t + ":, :");
        return new NDArray[] {oImg, a.toAddOut() == null ? oTxt : a.toAddOut().forward(oTxt)};
    }

    /** AttnProcessor2_0 (SD3.5's attn2): image self-attention. */
    private NDArray selfAttention(Attn a, NDArray x) {
        int heads = config.numAttentionHeads();
        return a.toOut().forward(Blocks.attention(heads(a.toQ().forward(x), a.normQ(), heads),
                heads(a.toK().forward(x), a.normK(), heads), heads(a.toV().forward(x), null, heads)));
    }

    /** (B, S, D) -> (B, S, H, Dh), RMS-normalised per head when the layer has a norm. */
    private static NDArray heads(NDArray x, Parameter norm, int heads) {
        Shape s = x.getShape();
        NDArray h = x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads);
        return norm == null ? h : Blocks.rmsNorm(h, norm.array(), EPS);
    }

    // ---- as a FlowModel ----

    @Override
    public NDArray velocity(NDArray latents, NDArray sigma, Conditioning c) {
        requireGuidanceMatches(c);
        Shape s = latents.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
            throw new IllegalArgumentException("latents have shape " + s + "; this SD3 model takes (B, " + config.inChannels()
                    + ", H, W)");
        }
        org.flowlab.lora.PassCounter.record(this, s.get(0));
        return forward(latents, c.tensor(TEXT), c.tensor(POOLED), org.flowlab.model.Ops.scale(sigma, 1000));
    }

    @Override
    public DataType dtype() {
        return parameters().get("proj_out.weight").array().getDataType();
    }

    @Override
    public long[] latentShape() {
        return latentShape.clone();
    }

    @Override
    public boolean takesGuidance() {
        return false;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "SD3Transformer2DModel %d blocks (%d dual-attention), width %d, %d heads,"
                        + " %,d parameters, %s", config.numLayers(), config.dualAttentionLayers().size(), config.width(),
                config.numAttentionHeads(), parameters().count(), manager().getDevice());
    }
}
