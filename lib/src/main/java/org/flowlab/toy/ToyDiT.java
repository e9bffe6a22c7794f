package org.flowlab.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import org.flowlab.model.BuiltComponent;
import org.flowlab.model.Conditioning;
import org.flowlab.model.FlowModel;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.Ops;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Parameter;

/**
 * A small text-conditioned diffusion transformer (DiT with adaLN-Zero, plus text tokens joined into attention
 * as extra keys and values, as in diffusers' added-KV attention).
 *
 * <pre>
 * x (B,C,H,W) -> patches (B,T,p*p*C) -> x_embedder + 2-D sin-cos positions                  (B,T,D)
 * sigma (B) -> sinusoidal(1000 sigma) -> time_text_embed.timestep_embedder (linear_1, SiLU, linear_2)   (B,D)
 * context (B,L,E) from {@link ToyTextEncoder}:
 *   mean over L -> time_text_embed.text_embedder, added to the time embedding = c (B,D)
 *   context_embedder(context) -> text keys/values for every block                          (B,L,D)
 * transformer_blocks.i: adaLN-Zero from c (norm1.linear: shift/scale/gate for attention and MLP), attention over
 *   [text; image] (attn.to_q/to_k/to_v/add_k_proj/add_v_proj/to_out.0), MLP (ff.net.0.proj, GELU, ff.net.2)
 * norm_out.linear (shift/scale from c) -> proj_out -> unpatchify -> velocity (B,C,H,W)
 *   or, with {@link DiTConfig#samplePrediction()}, the clean image x̂ and v = (x_t - x̂) / max(sigma, SIGMA_FLOOR)
 * </pre>
 * Module names follow diffusers' Flux/SD3 transformers, so LoRA targets and files use the names researchers know.
 */
public final class ToyDiT extends BuiltComponent implements FlowModel {
    private static final float LN_EPS = 1e-6f;
    private static final int TIME_FREQUENCIES = 128; // sinusoidal embedding width 256
    /**
     * The smallest sigma a clean-image prediction is divided by, as Li and He clamp 1 - t at 0.05: the velocity's
     * scale stays bounded at the data end, in training and in sampling alike.
     */
    public static final float SIGMA_FLOOR = 0.05f;

    private final DiTConfig config;

    private final LinearLayer xEmbedder;
    private final LinearLayer time1;
    private final LinearLayer time2;
    private final LinearLayer guidance1;
    private final LinearLayer guidance2;
    private final LinearLayer pooled1;
    private final LinearLayer pooled2;
    private final LinearLayer contextEmbedder;
    private final List<Block> blocks = new ArrayList<>();
    private final LinearLayer normOut;
    private final LinearLayer projOut;

    // constants, not parameters
    private final NDArray imagePositions;      // (1, T, D)
    private final NDArray frequencies;         // (TIME_FREQUENCIES)
    private final NDArray onesD;
    private final NDArray zerosD;

    private record Block(LinearLayer modulation, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer addK,
                         LinearLayer addV, LinearLayer out, Parameter normQ, Parameter normK, Parameter normAddedK,
                         LinearLayer fc1, LinearLayer fc2) {
    }

    /**
     * Creates the parameters through {@code mb} (its manager becomes the model's). Queries and keys get an RMSNorm per
     * head with a learned gain (SD3 and Flux do this): attention logits cannot grow without bound, which keeps
     * training at a laptop-friendly learning rate stable.
     */
    ToyDiT(DiTConfig config, ModuleBuilder mb, NDManager manager) {
        super(manager, mb);
        this.config = config;
        int d = config.width();
        int e = config.textWidth();
        int p = config.patch();
        int c = config.channels();
        int dh = d / config.heads();

        // embedders
        xEmbedder = mb.linear("x_embedder", (long) p * p * c, d, true, Init.XAVIER);
        time1 = mb.linear("time_text_embed.timestep_embedder.linear_1", 2L * TIME_FREQUENCIES, d, true, Init.NORMAL_002);
        time2 = mb.linear("time_text_embed.timestep_embedder.linear_2", d, d, true, Init.NORMAL_002);
        if (config.guidanceEmbed()) {
            guidance1 = mb.linear("time_text_embed.guidance_embedder.linear_1", 2L * TIME_FREQUENCIES, d, true, Init.NORMAL_002);
            guidance2 = mb.linear("time_text_embed.guidance_embedder.linear_2", d, d, true, Init.NORMAL_002);
        } else {
            guidance1 = null;
            guidance2 = null;
        }
        pooled1 = mb.linear("time_text_embed.text_embedder.linear_1", e, d, true, Init.NORMAL_002);
        pooled2 = mb.linear("time_text_embed.text_embedder.linear_2", d, d, true, Init.NORMAL_002);
        contextEmbedder = mb.linear("context_embedder", e, d, true, Init.XAVIER);

        // transformer blocks; adaLN-Zero: the modulation starts at zero so each block starts as the identity
        for (int i = 0; i < config.depth(); i++) {
            String n = "transformer_blocks." + i;
            blocks.add(new Block(
                    mb.linear(n + ".norm1.linear", d, 6L * d, true, Init.ZERO),
                    mb.linear(n + ".attn.to_q", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_k", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_v", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.add_k_proj", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.add_v_proj", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_out.0", d, d, true, Init.XAVIER),
                    mb.constant(n + ".attn.norm_q.weight", new Shape(dh), 1f),
                    mb.constant(n + ".attn.norm_k.weight", new Shape(dh), 1f),
                    mb.constant(n + ".attn.norm_added_k.weight", new Shape(dh), 1f),
                    mb.linear(n + ".ff.net.0.proj", d, (long) d * config.mlpRatio(), true, Init.XAVIER),
                    mb.linear(n + ".ff.net.2", (long) d * config.mlpRatio(), d, true, Init.XAVIER)));
        }
        // the output starts at zero too (DiT), so an untrained model predicts v = 0
        normOut = mb.linear("norm_out.linear", d, 2L * d, true, Init.ZERO);
        projOut = mb.linear("proj_out", d, (long) p * p * c, true, Init.ZERO);

        imagePositions = OwnedArrays.create(manager, sinCosPositions(d, config.imageSize() / p), new Shape(1, config.tokens(), d));
        float[] freq = new float[TIME_FREQUENCIES];
        for (int i = 0; i < freq.length; i++) {
            freq[i] = (float) Math.exp(-Math.log(10000) * i / TIME_FREQUENCIES);
        }
        frequencies = OwnedArrays.create(manager, freq);
        onesD = manager.ones(new Shape(d));
        zerosD = manager.zeros(new Shape(d));
    }

    public DiTConfig config() {
        return config;
    }

    @Override
    public NDArray velocity(NDArray x, NDArray sigma, Conditioning cond) {
        long batch = x.getShape().get(0);
        if (sigma.getShape().dimension() != 1 || sigma.getShape().get(0) != batch || cond.batchSize() != batch) {
            throw new IllegalArgumentException("x has batch " + batch + " (shape " + x.getShape() + "), sigma has shape "
                    + sigma.getShape() + ", conditioning " + cond.batchSize() + " prompts");
        }
        requireGuidanceMatches(cond);
        org.flowlab.lora.PassCounter.record(this, batch);
        NDArray ctx = cond.tensor(ToyTextEncoder.CONTEXT);                          // (B,L,E)
        NDArray c = mlp(time1, time2, timestepEmbedding(sigma.mul(1000f)))           // (B,D)
                .add(mlp(pooled1, pooled2, ctx.mean(new int[] {1})));
        if (guidance1 != null) {
            c = c.add(mlp(guidance1, guidance2, timestepEmbedding(cond.guidance().mul(1000f))));
        }
        NDArray siluC = Ops.silu(c);
        NDArray textTokens = contextEmbedder.forward(ctx);                           // (B,L,D)

        NDArray h = xEmbedder.forward(patchify(x)).add(imagePositions);             // (B,T,D)
        for (Block b : blocks) {
            NDList mod = b.modulation().forward(siluC).expandDims(1).split(6, 2);    // 6 x (B,1,D)
            NDArray a = modulate(layerNorm(h), mod.get(0), mod.get(1));
            int n = config.heads();
            NDArray q = rmsPerHead(b.q().forward(a), b.normQ(), n);
            NDArray keys = NDArrays.concat(new NDList(rmsPerHead(b.addK().forward(textTokens), b.normAddedK(), n),
                    rmsPerHead(b.k().forward(a), b.normK(), n)), 1);                      // (B,L+T,D)
            NDArray values = NDArrays.concat(new NDList(b.addV().forward(textTokens), b.v().forward(a)), 1);
            NDArray attn = b.out().forward(attention(q, keys, values, n));
            h = h.add(mod.get(2).mul(attn));
            NDArray m = modulate(layerNorm(h), mod.get(3), mod.get(4));
            h = h.add(mod.get(5).mul(b.fc2().forward(Activation.gelu(b.fc1().forward(m)))));
        }
        NDList out = normOut.forward(siluC).expandDims(1).split(2, 2);              // shift, scale (B,1,D)
        NDArray patches = projOut.forward(modulate(layerNorm(h), out.get(0), out.get(1))); // (B,T,p*p*C)
        if (!config.samplePrediction()) {
            return unpatchify(patches);
        }
        NDArray perImage = sigma.maximum(SIGMA_FLOOR).reshape(batch, 1, 1, 1);
        return x.sub(unpatchify(patches)).div(perImage);
    }

    /**
     * Matmul FLOPs (two per multiply-add) of one forward over {@code batch} samples, from the config: every Linear at
     * the rows it runs on (image tokens, text tokens, or one row per sample) and the two attention products.
     * Elementwise work (norms, activations, softmax) is not counted; a training step is about three forwards.
     */
    public long forwardFlops(long batch) {
        long t = config.tokens();
        long l = config.textLength();
        long d = config.width();
        long e = config.textWidth();
        long patch = (long) config.patch() * config.patch() * config.channels();
        long f = 2L * TIME_FREQUENCIES;
        long perSample = t * patch * d                                  // x_embedder
                + f * d + d * d + e * d + d * d                          // timestep and pooled-text embedders
                + (config.guidanceEmbed() ? f * d + d * d : 0)           // guidance embedder
                + l * e * d                                              // context_embedder
                + d * 2 * d + t * d * patch;                             // norm_out, proj_out
        long perBlock = d * 6 * d                                        // adaLN modulation
                + 4 * t * d * d + 2 * l * d * d                          // q, k, v, out; added k, v
                + 2 * t * (l + t) * d                                    // q k^T and weights v
                + 2 * t * d * d * config.mlpRatio();                     // MLP
        return 2 * batch * (perSample + config.depth() * perBlock);
    }

    /** Multi-head attention: q (B,Tq,D), k and v (B,Tk,D) -> (B,Tq,D). */
    static NDArray attention(NDArray q, NDArray k, NDArray v, int heads) {
        long b = q.getShape().get(0);
        long tq = q.getShape().get(1);
        long tk = k.getShape().get(1);
        long dim = q.getShape().get(2);
        long dh = dim / heads;
        NDArray qh = q.reshape(b, tq, heads, dh).transpose(0, 2, 1, 3);              // (B,N,Tq,Dh)
        NDArray kh = k.reshape(b, tk, heads, dh).transpose(0, 2, 3, 1);              // (B,N,Dh,Tk)
        NDArray vh = v.reshape(b, tk, heads, dh).transpose(0, 2, 1, 3);              // (B,N,Tk,Dh)
        NDArray weights = Ops.scale(qh.matMul(kh), 1 / Math.sqrt(dh)).softmax(-1); // (B,N,Tq,Tk)
        return weights.matMul(vh).transpose(0, 2, 1, 3).reshape(b, tq, dim);        // (B,Tq,D)
    }

    /** x (B,T,D) -> per head of width Dh: x / rms(x) * gain, gain (Dh). */
    static NDArray rmsPerHead(NDArray x, Parameter gain, int heads) {
        Shape s = x.getShape();
        long dh = s.get(2) / heads;
        NDArray h = x.reshape(s.get(0), s.get(1), heads, dh);                          // (B,T,N,Dh)
        NDArray rms = h.square().mean(new int[] {3}, true).add(1e-6f).sqrt();
        return h.div(rms).mul(gain.array()).reshape(s);
    }

    private NDArray mlp(LinearLayer first, LinearLayer second, NDArray x) {
        return second.forward(Ops.silu(first.forward(x)));
    }

    /** Non-affine LayerNorm over the last axis (DJL has no non-affine variant: constant gain 1, bias 0). */
    private NDArray layerNorm(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(config.width()), onesD, zerosD, LN_EPS).singletonOrThrow();
    }

    private static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
        return x.mul(scale.add(1f)).add(shift);
    }

    /** t (B) -> [cos(t f), sin(t f)] (B, 2F), f_i = 10000^(-i/F). */
    private NDArray timestepEmbedding(NDArray t) {
        // the input comes first so the result lands in its manager, not the model's (DJL-NOTES, "Memory")
        NDArray args = t.expandDims(1).mul(frequencies);                             // (B,1)*(F) -> (B,F)
        return NDArrays.concat(new NDList(args.cos(), args.sin()), 1);
    }

    /** (B,C,H,W) -> (B,T,p*p*C). */
    NDArray patchify(NDArray x) {
        long b = x.getShape().get(0);
        int c = config.channels();
        int p = config.patch();
        int g = config.imageSize() / p;
        requireImage(x);
        return x.reshape(b, c, g, p, g, p).transpose(0, 2, 4, 3, 5, 1).reshape(b, (long) g * g, (long) p * p * c);
    }

    /** (B,T,p*p*C) -> (B,C,H,W). */
    NDArray unpatchify(NDArray patches) {
        long b = patches.getShape().get(0);
        int c = config.channels();
        int p = config.patch();
        int g = config.imageSize() / p;
        return patches.reshape(b, g, g, p, p, c).transpose(0, 5, 1, 3, 2, 4).reshape(b, c, config.imageSize(), config.imageSize());
    }

    private void requireImage(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != config.channels() || s.get(2) != config.imageSize() || s.get(3) != config.imageSize()) {
            throw new IllegalArgumentException("x has shape " + s + "; this model takes (B, " + config.channels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + ")");
        }
        if (s.get(0) > 0 && x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("x is " + x.getDataType() + "; Flowlab models run in float32");
        }
    }

    /** The 2-D sin-cos table of MAE/DiT: half the channels encode the row, half the column. (T, D) flattened. */
    static float[] sinCosPositions(int dim, int grid) {
        float[] out = new float[grid * grid * dim];
        int quarter = dim / 4;
        for (int r = 0; r < grid; r++) {
            for (int col = 0; col < grid; col++) {
                int base = (r * grid + col) * dim;
                for (int i = 0; i < quarter; i++) {
                    double omega = 1.0 / Math.pow(10000, i / (double) quarter);
                    out[base + i] = (float) Math.sin(col * omega);
                    out[base + quarter + i] = (float) Math.cos(col * omega);
                    out[base + 2 * quarter + i] = (float) Math.sin(r * omega);
                    out[base + 3 * quarter + i] = (float) Math.cos(r * omega);
                }
            }
        }
        return out;
    }

    @Override
    public long[] latentShape() {
        return new long[] {config.channels(), config.imageSize(), config.imageSize()};
    }

    @Override
    public boolean takesGuidance() {
        return config.guidanceEmbed();
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT, "ToyDiT %dx%d patch %d, width %d, depth %d, %d heads, %s, %,d parameters, %s",
                config.imageSize(), config.imageSize(), config.patch(), config.width(), config.depth(), config.heads(),
                config.samplePrediction() ? "predicts x" : "predicts v", parameters().count(), manager().getDevice());
    }
}
