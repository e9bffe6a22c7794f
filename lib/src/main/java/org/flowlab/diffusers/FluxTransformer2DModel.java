package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.flowlab.model.BuiltComponent;
import org.flowlab.model.Conditioning;
import org.flowlab.model.Engines;
import org.flowlab.model.FlowModel;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.Ops;
import org.flowlab.model.Parameter;

/**
 * diffusers' {@code FluxTransformer2DModel} (Flux.1 dev and schnell) as a {@link FlowModel}, every Linear under its
 * diffusers state_dict name:
 * <pre>
 * latents (B,C,H,W) -> 2x2 packing (B,T,4C) -> x_embedder                                       (B,T,D)
 * encoder_hidden_states (B,L,E) -> context_embedder                                             (B,L,D)
 * temb = timestep_embedder(1000 sigma) + guidance_embedder(1000 g) + text_embedder(pooled)      (B,D)
 * rotary table of ids = [txt_ids (zeros); img_ids (0, row, col)] over axes_dims_rope
 * transformer_blocks.N: two streams, AdaLayerNormZero each, joint attention (RMS q/k norms), GELU(tanh) MLPs
 * single_transformer_blocks.N: one stream [text; image], parallel attention + MLP, gated proj_out
 * norm_out (AdaLayerNormContinuous: scale, then shift) -> proj_out -> unpack                    (B,C,H,W)
 * </pre>
 * Legend: T = (H/2)(W/2) image tokens, L text tokens, D = heads x head_dim. Conditioning tensors:
 * {@value #TEXT} (B, L, joint_attention_dim) and {@value #POOLED} (B, pooled_projection_dim).
 */
public final class FluxTransformer2DModel extends BuiltComponent implements FlowModel, org.flowlab.model.Recomputable {
    public static final String TEXT = "encoder_hidden_states";
    public static final String POOLED = "pooled_projections";
    private static final float EPS = 1e-6f;

    /** The config.json fields this class reads (diffusers' constructor arguments). */
    public record Config(int patchSize, int inChannels, int outChannels, int numLayers, int numSingleLayers,
                         int attentionHeadDim, int numAttentionHeads, int jointAttentionDim, int pooledProjectionDim,
                         boolean guidanceEmbeds, int[] axesDimsRope) {
        static Config of(ModelFolder f) {
            int patch = f.integer("patch_size", 1);
            if (patch != 1) {
                throw f.unsupported("patch_size", patch, "Flux packs 2x2 in the pipeline and uses patch_size 1");
            }
            int in = f.integer("in_channels", 64);
            int out = f.integer("out_channels", in);
            int head = f.integer("attention_head_dim", 128);
            int[] axes = f.config().has("axes_dims_rope") ? f.integers("axes_dims_rope") : new int[] {16, 56, 56};
            int sum = 0;
            for (int a : axes) {
                if (a % 2 != 0) {
                    throw f.unsupported("axes_dims_rope", java.util.Arrays.toString(axes), "every axis must be even");
                }
                sum += a;
            }
            if (sum != head) {
                throw f.unsupported("axes_dims_rope", java.util.Arrays.toString(axes), "they must add up to"
                        + " attention_head_dim " + head);
            }
            if (in % 4 != 0) {
                throw f.unsupported("in_channels", in, "a multiple of 4: the 2x2-packed latent channels");
            }
            return new Config(patch, in, out, f.integer("num_layers", 19), f.integer("num_single_layers", 38), head,
                    f.integer("num_attention_heads", 24), f.integer("joint_attention_dim", 4096),
                    f.integer("pooled_projection_dim", 768), f.bool("guidance_embeds", false), axes);
        }

        int width() {
            return attentionHeadDim * numAttentionHeads;
        }
    }

    private record DoubleBlock(LinearLayer norm1, LinearLayer norm1Context, LinearLayer toQ, LinearLayer toK,
                               LinearLayer toV, LinearLayer toOut, LinearLayer addQ, LinearLayer addK, LinearLayer addV,
                               LinearLayer toAddOut, Parameter normQ, Parameter normK, Parameter normAddedQ,
                               Parameter normAddedK, LinearLayer ff0, LinearLayer ff2, LinearLayer ffContext0,
                               LinearLayer ffContext2) {
    }

    private record SingleBlock(LinearLayer norm, LinearLayer toQ, LinearLayer toK, LinearLayer toV, Parameter normQ,
                               Parameter normK, LinearLayer projMlp, LinearLayer projOut) {
    }

    private final Config config;
    private final long[] latentShape;
    private final LinearLayer xEmbedder;
    private final LinearLayer contextEmbedder;
    private final Blocks.TimestepEmbedding timeMlp;
    private final Blocks.TimestepEmbedding guidanceMlp;
    private final Blocks.TimestepEmbedding textMlp;
    private final List<DoubleBlock> doubles = new ArrayList<>();
    private final List<SingleBlock> singles = new ArrayList<>();
    private final LinearLayer normOut;
    private final LinearLayer projOut;
    private volatile boolean recompute;

    private FluxTransformer2DModel(Config c, ModuleBuilder mb, NDManager manager, long[] latentShape) {
        super(manager, mb);
        this.config = c;
        this.latentShape = latentShape;
        int d = c.width();
        int head = c.attentionHeadDim();
        timeMlp = Blocks.TimestepEmbedding.of(mb, "time_text_embed.timestep_embedder", 256, d);
        guidanceMlp = c.guidanceEmbeds() ? Blocks.TimestepEmbedding.of(mb, "time_text_embed.guidance_embedder", 256, d) : null;
        textMlp = Blocks.TimestepEmbedding.of(mb, "time_text_embed.text_embedder", c.pooledProjectionDim(), d);
        contextEmbedder = mb.linear("context_embedder", c.jointAttentionDim(), d, true, Init.XAVIER);
        xEmbedder = mb.linear("x_embedder", c.inChannels(), d, true, Init.XAVIER);
        for (int i = 0; i < c.numLayers(); i++) {
            String n = "transformer_blocks." + i + ".";
            doubles.add(new DoubleBlock(
                    mb.linear(n + "norm1.linear", d, 6L * d, true, Init.ZERO),
                    mb.linear(n + "norm1_context.linear", d, 6L * d, true, Init.ZERO),
                    mb.linear(n + "attn.to_q", d, d, true, Init.XAVIER), mb.linear(n + "attn.to_k", d, d, true, Init.XAVIER),
                    mb.linear(n + "attn.to_v", d, d, true, Init.XAVIER), mb.linear(n + "attn.to_out.0", d, d, true, Init.XAVIER),
                    mb.linear(n + "attn.add_q_proj", d, d, true, Init.XAVIER),
                    mb.linear(n + "attn.add_k_proj", d, d, true, Init.XAVIER),
                    mb.linear(n + "attn.add_v_proj", d, d, true, Init.XAVIER),
                    mb.linear(n + "attn.to_add_out", d, d, true, Init.XAVIER),
                    mb.constant(n + "attn.norm_q.weight", new Shape(head), 1f),
                    mb.constant(n + "attn.norm_k.weight", new Shape(head), 1f),
                    mb.constant(n + "attn.norm_added_q.weight", new Shape(head), 1f),
                    mb.constant(n + "attn.norm_added_k.weight", new Shape(head), 1f),
                    mb.linear(n + "ff.net.0.proj", d, 4L * d, true, Init.XAVIER),
                    mb.linear(n + "ff.net.2", 4L * d, d, true, Init.XAVIER),
                    mb.linear(n + "ff_context.net.0.proj", d, 4L * d, true, Init.XAVIER),
                    mb.linear(n + "ff_context.net.2", 4L * d, d, true, Init.XAVIER)));
        }
        for (int i = 0; i < c.numSingleLayers(); i++) {
            String n = "single_transformer_blocks." + i + ".";
            singles.add(new SingleBlock(
                    mb.linear(n + "norm.linear", d, 3L * d, true, Init.ZERO),
                    mb.linear(n + "attn.to_q", d, d, true, Init.XAVIER), mb.linear(n + "attn.to_k", d, d, true, Init.XAVIER),
                    mb.linear(n + "attn.to_v", d, d, true, Init.XAVIER),
                    mb.constant(n + "attn.norm_q.weight", new Shape(head), 1f),
                    mb.constant(n + "attn.norm_k.weight", new Shape(head), 1f),
                    mb.linear(n + "proj_mlp", d, 4L * d, true, Init.XAVIER),
                    mb.linear(n + "proj_out", 5L * d, d, true, Init.XAVIER)));
        }
        normOut = mb.linear("norm_out.linear", d, 2L * d, true, Init.ZERO);
        projOut = mb.linear("proj_out", d, c.outChannels(), true, Init.ZERO);
    }


    /**
     * Loads a diffusers {@code transformer/} folder.
     *
     * @param variant weights variant ({@code "bf16"}, {@code "fp16"}) or null
     * @param height latent height the model samples at (the pipeline's image height / 8)
     */
    public static FluxTransformer2DModel load(Path dir, String variant, Device device, int height, int width)
            throws IOException {
        return load(dir, variant, device, height, width, DataType.FLOAT32);
    }

    /**
     * As {@link #load(Path, String, Device, int, int)}, computing in {@code dtype}: FLOAT32, or FLOAT16 for the
     * frozen base (LoRA weights and optimizer state stay float32; norms and rotary embeddings run in float32).
     */
    public static FluxTransformer2DModel load(Path dir, String variant, Device device, int height, int width, DataType dtype)
            throws IOException {
        return ModelFolder.load(dir, variant, dtype, device, "a FluxTransformer2DModel", Set.of("FluxTransformer2DModel"),
                (f, mb, m) -> {
                    Config c = Config.of(f);
                    return new FluxTransformer2DModel(c, mb, m, latent(c, height, width));
                });
    }

    /**
     * A Flux transformer of any size from a config alone ({@code num_layers}, {@code num_single_layers},
     * {@code num_attention_heads}, ... as in config.json), its weights drawn at random: for benchmarks of sizes no
     * checkpoint on disk has.
     */
    public static FluxTransformer2DModel random(com.google.gson.JsonObject config, Device device, int height, int width,
                                                DataType dtype) {
        com.google.gson.JsonObject c = config.deepCopy();
        c.addProperty("_class_name", "FluxTransformer2DModel");
        return ModelFolder.random(c, dtype, device, (f, mb, m) -> {
            Config parsed = Config.of(f);
            return new FluxTransformer2DModel(parsed, mb, m, latent(parsed, height, width));
        });
    }

    private static long[] latent(Config c, int height, int width) {
        if (height % 2 != 0 || width % 2 != 0 || height < 2 || width < 2) {
            throw new IllegalArgumentException("latent size " + height + "x" + width + " must be even (Flux packs 2x2)");
        }
        return new long[] {c.inChannels() / 4, height, width};
    }

    public Config config() {
        return config;
    }

    /**
     * diffusers' forward on packed tokens, argument for argument: hidden_states (B, T, in_channels),
     * encoder_hidden_states (B, L, E), pooled_projections (B, P), timestep (B) in [0, 1], img_ids (T, 3), txt_ids
     * (L, 3), guidance (B) or null -> sample (B, T, out_channels).
     */
    public NDArray forward(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooled, NDArray timestep,
                           float[][] imgIds, float[][] txtIds, NDArray guidance) {
        Stem stem = stem(hiddenStates, encoderHiddenStates, pooled, timestep, imgIds, txtIds, guidance);
        NDArray txt = stem.txt();
        NDArray img = stem.img();
        for (DoubleBlock b : doubles) {
            NDArray[] out = doubleBlock(b, img, txt, stem.siluTemb(), stem.rope());
            txt = out[0];
            img = out[1];
        }
        NDArray joint = NDArrays.concat(new NDList(txt, img), 1);                                 // (B,L+T,D)
        for (SingleBlock b : singles) {
            joint = singleBlock(b, joint, stem.siluTemb(), stem.rope());
        }
        return head(joint, stem.siluTemb(), Math.toIntExact(txt.getShape().get(1)));
    }

    /** What every block reads: the embedded streams, SiLU(temb) (B, D) and the rotary table. */
    private record Stem(NDArray img, NDArray txt, NDArray siluTemb, NDArray[] rope) {
    }

    private Stem stem(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooled, NDArray timestep,
                      float[][] imgIds, float[][] txtIds, NDArray guidance) {
        if ((guidance == null) == config.guidanceEmbeds()) {
            throw new IllegalArgumentException(config.guidanceEmbeds()
                    ? "this Flux model has a guidance embedding (Flux-dev): give it a guidance value"
                    : "this Flux model has no guidance input (Flux-schnell): leave guidance out");
        }
        NDManager m = hiddenStates.getManager();
        DataType dt = dtype();
        NDArray img = xEmbedder.forward(Ops.cast(hiddenStates, dt));                         // (B,T,D)
        NDArray temb = timeMlp.forward(Ops.cast(Blocks.timestepFeatures(scale1000(timestep), 256, true, 0), dt));
        if (guidanceMlp != null) {
            temb = temb.add(guidanceMlp.forward(Ops.cast(Blocks.timestepFeatures(scale1000(guidance), 256, true, 0), dt)));
        }
        temb = temb.add(textMlp.forward(Ops.cast(pooled, dt)));                                 // (B,D)
        NDArray txt = contextEmbedder.forward(Ops.cast(encoderHiddenStates, dt));            // (B,L,D)
        float[][] ids = new float[txtIds.length + imgIds.length][];
        System.arraycopy(txtIds, 0, ids, 0, txtIds.length);
        System.arraycopy(imgIds, 0, ids, txtIds.length, imgIds.length);
        NDArray[] rope = Blocks.rotaryTable(ids, config.axesDimsRope(), 10000, m);               // (L+T, Dh) each
        return new Stem(img, txt, Blocks.silu(temb), rope);
    }

    /** norm_out (AdaLayerNormContinuous: scale first, then shift) and proj_out on the image part of the sequence. */
    private NDArray head(NDArray joint, NDArray siluTemb, int textLength) {
        NDArray img = joint.get(":, " + textLength + ":, :");
        NDList scaleShift = normOut.forward(siluTemb).split(2, 1);
        return Blocks.float32(projOut.forward(Blocks.modulate(Blocks.layerNorm(img, EPS), scaleShift.get(1), scaleShift.get(0))));
    }

    /**
     * The gradients of {@code loss(forward(...))} for every trainable parameter, by block-wise recomputation
     * (gradient checkpointing): one pass without a graph that keeps only each block's inputs, then each segment
     * (the head, the blocks in reverse, the embeddings) re-run with a graph and back-propagated with the gradient
     * arriving at its output: the gradient of {@code sum(out * g)} is the vector-Jacobian product. Memory holds one
     * block's graph at a time instead of all of them; gradients equal the plain backward pass. Call it outside any
     * GradientCollector; parameter gradients accumulate, as a backward pass does.
     *
     * @param loss a scalar function of the sample (B, T, out_channels)
     * @return the loss value
     */
    public float backwardRecomputed(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooled, NDArray timestep,
                                    float[][] imgIds, float[][] txtIds, NDArray guidance,
                                    java.util.function.UnaryOperator<NDArray> loss) {
        // 1. forward without a graph, keeping the inputs of every segment
        Stem stem;
        List<NDArray[]> doubleInputs = new ArrayList<>();
        List<NDArray> singleInputs = new ArrayList<>();
        NDArray joint;
        int textLength;
        try (org.flowlab.model.NoGrad ng = org.flowlab.model.NoGrad.enter()) {
            stem = stem(hiddenStates, encoderHiddenStates, pooled, timestep, imgIds, txtIds, guidance);
            NDArray txt = stem.txt();
            NDArray img = stem.img();
            for (DoubleBlock b : doubles) {
                doubleInputs.add(new NDArray[] {txt, img});
                NDArray[] out = doubleBlock(b, img, txt, stem.siluTemb(), stem.rope());
                txt = out[0];
                img = out[1];
            }
            textLength = Math.toIntExact(txt.getShape().get(1));
            joint = NDArrays.concat(new NDList(txt, img), 1);
            for (SingleBlock b : singles) {
                singleInputs.add(joint);
                joint = singleBlock(b, joint, stem.siluTemb(), stem.rope());
            }
        }
        // 2. the head and the loss, then each segment backwards
        NDArray tembGrad = stem.siluTemb().zerosLike();
        float value;
        NDArray gJoint;
        try (ai.djl.training.GradientCollector gc = Engines.get().newGradientCollector()) {
            NDArray j = leaf(joint);
            NDArray t = leaf(stem.siluTemb());
            NDArray l = loss.apply(head(j, t, textLength));
            value = l.getFloat();
            gc.backward(l);
            gJoint = j.getGradient().duplicate();
            tembGrad = tembGrad.add(t.getGradient());
        }
        for (int i = singles.size() - 1; i >= 0; i--) {
            try (ai.djl.training.GradientCollector gc = Engines.get().newGradientCollector()) {
                NDArray x = leaf(singleInputs.get(i));
                NDArray t = leaf(stem.siluTemb());
                NDArray out = singleBlock(singles.get(i), x, t, stem.rope());
                gc.backward(out.mul(gJoint).sum());
                gJoint = x.getGradient().duplicate();
                tembGrad = tembGrad.add(t.getGradient());
            }
        }
        NDArray gTxt = gJoint.get(":, :" + textLength + ", :");
        NDArray gImg = gJoint.get(":, " + textLength + ":, :");
        for (int i = doubles.size() - 1; i >= 0; i--) {
            try (ai.djl.training.GradientCollector gc = Engines.get().newGradientCollector()) {
                NDArray txt = leaf(doubleInputs.get(i)[0]);
                NDArray img = leaf(doubleInputs.get(i)[1]);
                NDArray t = leaf(stem.siluTemb());
                NDArray[] out = doubleBlock(doubles.get(i), img, txt, t, stem.rope());
                gc.backward(out[0].mul(gTxt).sum().add(out[1].mul(gImg).sum()));
                gTxt = txt.getGradient().duplicate();
                gImg = img.getGradient().duplicate();
                tembGrad = tembGrad.add(t.getGradient());
            }
        }
        try (ai.djl.training.GradientCollector gc = Engines.get().newGradientCollector()) {
            Stem s = stem(hiddenStates, encoderHiddenStates, pooled, timestep, imgIds, txtIds, guidance);
            NDArray total = s.img().mul(gImg).sum().add(s.txt().mul(gTxt).sum()).add(s.siluTemb().mul(tembGrad).sum());
            try {
                gc.backward(total);
            } catch (ai.djl.engine.EngineException e) {
                // nothing in the embedders trains (Glance's targets are all in the blocks): no graph, nothing to do
                if (!String.valueOf(e.getMessage()).contains("does not require grad")) {
                    throw e;
                }
            }
        }
        return value;
    }

    /** A copy of {@code x} that is a leaf of the next graph and collects its gradient. */
    private static NDArray leaf(NDArray x) {
        NDArray c = x.duplicate();
        c.setRequiresGradient(true);
        return c;
    }

    private static NDArray scale1000(NDArray t) {
        return org.flowlab.model.Ops.scale(t, 1000);
    }


    /** FluxTransformerBlock: returns {text, image}. */
    private NDArray[] doubleBlock(DoubleBlock b, NDArray img, NDArray txt, NDArray siluTemb, NDArray[] rope) {
        NDList mi = b.norm1().forward(siluTemb).split(6, 1);      // shift, scale, gate (attention); shift, scale, gate (MLP)
        NDList mt = b.norm1Context().forward(siluTemb).split(6, 1);
        NDArray ni = Blocks.modulate(Blocks.layerNorm(img, EPS), mi.get(0), mi.get(1));
        NDArray nt = Blocks.modulate(Blocks.layerNorm(txt, EPS), mt.get(0), mt.get(1));
        int heads = config.numAttentionHeads();
        NDArray q = NDArrays.concat(new NDList(heads(b.addQ().forward(nt), b.normAddedQ(), heads),
                heads(b.toQ().forward(ni), b.normQ(), heads)), 1);                                // (B,L+T,H,Dh)
        NDArray k = NDArrays.concat(new NDList(heads(b.addK().forward(nt), b.normAddedK(), heads),
                heads(b.toK().forward(ni), b.normK(), heads)), 1);
        NDArray v = NDArrays.concat(new NDList(split(b.addV().forward(nt), heads), split(b.toV().forward(ni), heads)), 1);
        NDArray o = Blocks.attention(Blocks.applyRotary(q, rope[0], rope[1]), Blocks.applyRotary(k, rope[0], rope[1]), v);
        long l = txt.getShape().get(1);
        NDArray oTxt = b.toAddOut().forward(o.get(":, :" + l + ", :"));
        NDArray oImg = b.toOut().forward(o.get(":, " + l + ":, :"));
        img = img.add(mi.get(2).expandDims(1).mul(oImg));
        NDArray ffIn = Blocks.modulate(Blocks.layerNorm(img, EPS), mi.get(3), mi.get(4));
        img = img.add(mi.get(5).expandDims(1).mul(b.ff2().forward(Blocks.geluTanh(b.ff0().forward(ffIn)))));
        txt = txt.add(mt.get(2).expandDims(1).mul(oTxt));
        NDArray ffcIn = Blocks.modulate(Blocks.layerNorm(txt, EPS), mt.get(3), mt.get(4));
        txt = txt.add(mt.get(5).expandDims(1).mul(b.ffContext2().forward(Blocks.geluTanh(b.ffContext0().forward(ffcIn)))));
        return new NDArray[] {clipFp16(txt), img};
    }

    /** FluxSingleTransformerBlock on the joint sequence [text; image]. */
    private NDArray singleBlock(SingleBlock b, NDArray x, NDArray siluTemb, NDArray[] rope) {
        NDList mod = b.norm().forward(siluTemb).split(3, 1);                                      // shift, scale, gate
        NDArray n = Blocks.modulate(Blocks.layerNorm(x, EPS), mod.get(0), mod.get(1));
        int heads = config.numAttentionHeads();
        NDArray mlpOut = Blocks.geluTanh(b.projMlp().forward(n));
        NDArray q = Blocks.applyRotary(heads(b.toQ().forward(n), b.normQ(), heads), rope[0], rope[1]);
        NDArray k = Blocks.applyRotary(heads(b.toK().forward(n), b.normK(), heads), rope[0], rope[1]);
        NDArray attn = Blocks.attention(q, k, split(b.toV().forward(n), heads));
        NDArray out = b.projOut().forward(NDArrays.concat(new NDList(attn, mlpOut), 2));
        return clipFp16(x.add(mod.get(2).expandDims(1).mul(out)));
    }

    /** (B, S, D) -> (B, S, H, Dh), RMS-normalised per head. */
    private static NDArray heads(NDArray x, Parameter norm, int heads) {
        return Blocks.rmsNorm(split(x, heads), norm.array(), EPS);
    }

    private static NDArray split(NDArray x, int heads) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads);
    }

    private static NDArray clipFp16(NDArray x) {
        return x.getDataType() == DataType.FLOAT16 ? x.clip(-65504, 65504) : x;
    }

    // ---- as a FlowModel: unpacked latents, conditioning from the text encoders ----

    @Override
    public NDArray velocity(NDArray latents, NDArray sigma, Conditioning c) {
        requireGuidanceMatches(c);
        Shape s = latents.getShape();
        if (s.dimension() != 4 || s.get(1) != latentShape[0] || s.get(2) % 2 != 0 || s.get(3) % 2 != 0) {
            throw new IllegalArgumentException("latents have shape " + s + "; this Flux model takes (B, " + latentShape[0]
                    + ", H, W) with even H and W");
        }
        org.flowlab.lora.PassCounter.record(this, s.get(0));
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDArray text = c.tensor(TEXT);
        float[][] txtIds = new float[Math.toIntExact(text.getShape().get(1))][3]; // zeros, as the pipeline makes them
        NDArray out = forward(pack(latents), text, c.tensor(POOLED), sigma, imageIds(h, w), txtIds, c.guidance());
        return unpack(out, h, w);
    }

    @Override
    public boolean recomputes() {
        return recompute;
    }

    @Override
    public void setRecompute(boolean on) {
        recompute = on;
    }

    /** {@link #backwardRecomputed} on unpacked latents, as {@link #velocity} takes them. */
    @Override
    public float lossAndGradients(NDArray latents, NDArray sigma, Conditioning c, java.util.function.UnaryOperator<NDArray> loss) {
        requireGuidanceMatches(c);
        Shape s = latents.getShape();
        org.flowlab.lora.PassCounter.record(this, s.get(0));
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDArray text = c.tensor(TEXT);
        float[][] txtIds = new float[Math.toIntExact(text.getShape().get(1))][3];
        return backwardRecomputed(pack(latents), text, c.tensor(POOLED), sigma, imageIds(h, w), txtIds, c.guidance(),
                out -> loss.apply(unpack(out, h, w)));
    }

    /** {@code FluxPipeline._prepare_latent_image_ids}: (0, row, col) per 2x2-packed token, row-major. */
    public static float[][] imageIds(int latentHeight, int latentWidth) {
        int rows = latentHeight / 2;
        int cols = latentWidth / 2;
        float[][] ids = new float[rows * cols][];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                ids[r * cols + c] = new float[] {0, r, c};
            }
        }
        return ids;
    }

    /** {@code FluxPipeline._pack_latents}: (B, C, H, W) -> (B, (H/2)(W/2), 4C). */
    public static NDArray pack(NDArray latents) {
        Shape s = latents.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        return latents.reshape(b, c, h / 2, 2, w / 2, 2).transpose(0, 2, 4, 1, 3, 5).reshape(b, (h / 2) * (w / 2), c * 4);
    }

    /** {@code FluxPipeline._unpack_latents}: (B, (H/2)(W/2), 4C) -> (B, C, H, W). */
    public static NDArray unpack(NDArray tokens, int height, int width) {
        Shape s = tokens.getShape();
        long b = s.get(0);
        long c = s.get(2) / 4;
        return tokens.reshape(b, height / 2, width / 2, c, 2, 2).transpose(0, 3, 1, 4, 2, 5).reshape(b, c, height, width);
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
        return config.guidanceEmbeds();
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "FluxTransformer2DModel %d double + %d single blocks, width %d, %d heads,"
                        + " %,d parameters, %s", config.numLayers(), config.numSingleLayers(), config.width(),
                config.numAttentionHeads(), parameters().count(), manager().getDevice());
    }
}
