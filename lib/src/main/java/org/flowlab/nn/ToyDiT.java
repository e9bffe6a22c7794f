package org.flowlab.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.flowlab.nn.ModuleBuilder.Init;

/**
 * A small text-conditioned diffusion transformer (DiT with adaLN-Zero, plus text tokens joined into attention
 * as extra keys and values, as in diffusers' added-KV attention).
 *
 * <pre>
 * x (B,C,H,W) -> patches (B,T,p*p*C) -> x_embedder.proj + 2-D sin-cos positions            (B,T,D)
 * sigma (B) -> sinusoidal(1000 sigma) -> time_embed.linear_1 -> SiLU -> linear_2            (B,D)
 * caption ids (B,L) -> text_encoder (pre-LN transformer) -> ctx (B,L,E)
 *   pooled mean(ctx) -> pooled_embed.linear_1 -> SiLU -> linear_2, added to the time embedding = c (B,D)
 *   context_embedder(ctx) -> text keys/values for every block                              (B,L,D)
 * blocks.i: adaLN-Zero from c (shift/scale/gate for attention and MLP), attention over [text; image], MLP
 * norm_out.linear (shift/scale from c) -> proj_out -> unpatchify -> velocity (B,C,H,W)
 * </pre>
 */
public final class ToyDiT implements VelocityModel {
    private static final float LN_EPS = 1e-6f;
    private static final int TIME_FREQUENCIES = 128; // sinusoidal embedding width 256

    private final DiTConfig config;
    private final Tokenizer tokenizer;
    private final NDManager manager;
    private final NamedParameters parameters;
    private final Map<String, LinearLayer> linears;

    private final Parameter tokenEmbedding;    // (V, E)
    private final Parameter textPositions;     // (L, E)
    private final List<TextLayer> textLayers = new ArrayList<>();
    private final Parameter textNormWeight;    // (E)
    private final Parameter textNormBias;      // (E)
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

    private record TextLayer(Parameter norm1Weight, Parameter norm1Bias, LinearLayer q, LinearLayer k, LinearLayer v,
                             LinearLayer out, QkNorm qk, Parameter norm2Weight, Parameter norm2Bias, LinearLayer fc1,
                             LinearLayer fc2) {
    }

    private record Block(LinearLayer modulation, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer addK,
                         LinearLayer addV, LinearLayer out, QkNorm qk, QkNorm addedK, LinearLayer fc1, LinearLayer fc2) {
    }

    /**
     * RMSNorm of queries and keys per head with a learned gain (SD3 and Flux do this): attention logits cannot grow
     * without bound, which keeps training at a laptop-friendly learning rate stable.
     */
    private record QkNorm(Parameter q, Parameter k) {
        static QkNorm create(ModuleBuilder mb, String prefix, int headDim) {
            return new QkNorm(mb.constant(prefix + ".norm_q.weight", new Shape(headDim), 1f),
                    mb.constant(prefix + ".norm_k.weight", new Shape(headDim), 1f));
        }
    }

    /** A freshly initialised model on {@code device}, weights fixed by {@code seed}. */
    public ToyDiT(DiTConfig config, Device device, long seed) {
        this(config, new Tokenizer(Tokenizer.DEFAULT_WORDS, config.textLength()), device, seed);
    }

    public ToyDiT(DiTConfig config, Tokenizer tokenizer, Device device, long seed) {
        Engines.get();
        this.config = config;
        this.tokenizer = tokenizer;
        this.manager = Engines.get().newBaseManager(device);
        ModuleBuilder mb = new ModuleBuilder(manager, seed);
        int d = config.width();
        int e = config.textWidth();
        int p = config.patch();
        int c = config.channels();

        // text encoder
        tokenEmbedding = mb.tensor("text_encoder.token_embedding.weight", new Shape(tokenizer.vocabularySize(), e), Init.NORMAL_002);
        textPositions = mb.tensor("text_encoder.position_embedding", new Shape(config.textLength(), e), Init.NORMAL_002);
        for (int i = 0; i < config.textDepth(); i++) {
            String n = "text_encoder.layers." + i;
            textLayers.add(new TextLayer(
                    mb.constant(n + ".norm1.weight", new Shape(e), 1f), mb.constant(n + ".norm1.bias", new Shape(e), 0f),
                    mb.linear(n + ".attn.to_q", e, e, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_k", e, e, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_v", e, e, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_out", e, e, true, Init.XAVIER),
                    QkNorm.create(mb, n + ".attn", e / config.textHeads()),
                    mb.constant(n + ".norm2.weight", new Shape(e), 1f), mb.constant(n + ".norm2.bias", new Shape(e), 0f),
                    mb.linear(n + ".mlp.fc1", e, (long) e * config.mlpRatio(), true, Init.XAVIER),
                    mb.linear(n + ".mlp.fc2", (long) e * config.mlpRatio(), e, true, Init.XAVIER)));
        }
        textNormWeight = mb.constant("text_encoder.norm_out.weight", new Shape(e), 1f);
        textNormBias = mb.constant("text_encoder.norm_out.bias", new Shape(e), 0f);

        // embedders
        xEmbedder = mb.linear("x_embedder.proj", (long) p * p * c, d, true, Init.XAVIER);
        time1 = mb.linear("time_embed.linear_1", 2L * TIME_FREQUENCIES, d, true, Init.NORMAL_002);
        time2 = mb.linear("time_embed.linear_2", d, d, true, Init.NORMAL_002);
        if (config.guidanceEmbed()) {
            guidance1 = mb.linear("guidance_embed.linear_1", 2L * TIME_FREQUENCIES, d, true, Init.NORMAL_002);
            guidance2 = mb.linear("guidance_embed.linear_2", d, d, true, Init.NORMAL_002);
        } else {
            guidance1 = null;
            guidance2 = null;
        }
        pooled1 = mb.linear("pooled_embed.linear_1", e, d, true, Init.NORMAL_002);
        pooled2 = mb.linear("pooled_embed.linear_2", d, d, true, Init.NORMAL_002);
        contextEmbedder = mb.linear("context_embedder", e, d, true, Init.XAVIER);

        // transformer blocks; adaLN-Zero: the modulation starts at zero so each block starts as the identity
        for (int i = 0; i < config.depth(); i++) {
            String n = "blocks." + i;
            blocks.add(new Block(
                    mb.linear(n + ".norm1.linear", d, 6L * d, true, Init.ZERO),
                    mb.linear(n + ".attn.to_q", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_k", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_v", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.add_k_proj", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.add_v_proj", d, d, true, Init.XAVIER),
                    mb.linear(n + ".attn.to_out", d, d, true, Init.XAVIER),
                    QkNorm.create(mb, n + ".attn", d / config.heads()),
                    QkNorm.create(mb, n + ".attn.added", d / config.heads()),
                    mb.linear(n + ".ff.fc1", d, (long) d * config.mlpRatio(), true, Init.XAVIER),
                    mb.linear(n + ".ff.fc2", (long) d * config.mlpRatio(), d, true, Init.XAVIER)));
        }
        // the output starts at zero too (DiT), so an untrained model predicts v = 0
        normOut = mb.linear("norm_out.linear", d, 2L * d, true, Init.ZERO);
        projOut = mb.linear("proj_out", d, (long) p * p * c, true, Init.ZERO);

        parameters = mb.parameters();
        linears = Collections.unmodifiableMap(mb.linears());
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

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public NDArray velocity(NDArray x, NDArray sigma, Conditioning cond) {
        long batch = x.getShape().get(0);
        if (sigma.getShape().dimension() != 1 || sigma.getShape().get(0) != batch || cond.batchSize() != batch) {
            throw new IllegalArgumentException("x has batch " + batch + " (shape " + x.getShape() + "), sigma has shape "
                    + sigma.getShape() + ", conditioning " + cond.batchSize() + " prompts");
        }
        NDArray ctx = encodeText(cond.tokens());                                    // (B,L,E)
        NDArray c = mlp(time1, time2, timestepEmbedding(sigma.mul(1000f)))           // (B,D)
                .add(mlp(pooled1, pooled2, ctx.mean(new int[] {1})));
        if (guidance1 != null) {
            if (cond.guidance() == null) {
                throw new IllegalArgumentException("this model takes a guidance value; pass guidance to condition()");
            }
            c = c.add(mlp(guidance1, guidance2, timestepEmbedding(cond.guidance().mul(1000f))));
        }
        NDArray siluC = Ops.silu(c);
        NDArray textTokens = contextEmbedder.forward(ctx);                           // (B,L,D)

        NDArray h = xEmbedder.forward(patchify(x)).add(imagePositions);             // (B,T,D)
        for (Block b : blocks) {
            NDList mod = b.modulation().forward(siluC).expandDims(1).split(6, 2);    // 6 x (B,1,D)
            NDArray a = modulate(layerNorm(h), mod.get(0), mod.get(1));
            int n = config.heads();
            NDArray q = rmsPerHead(b.q().forward(a), b.qk().q(), n);
            NDArray keys = NDArrays.concat(new NDList(rmsPerHead(b.addK().forward(textTokens), b.addedK().k(), n),
                    rmsPerHead(b.k().forward(a), b.qk().k(), n)), 1);                      // (B,L+T,D)
            NDArray values = NDArrays.concat(new NDList(b.addV().forward(textTokens), b.v().forward(a)), 1);
            NDArray attn = b.out().forward(attention(q, keys, values, n));
            h = h.add(mod.get(2).mul(attn));
            NDArray m = modulate(layerNorm(h), mod.get(3), mod.get(4));
            h = h.add(mod.get(5).mul(b.fc2().forward(Activation.gelu(b.fc1().forward(m)))));
        }
        NDList out = normOut.forward(siluC).expandDims(1).split(2, 2);              // shift, scale (B,1,D)
        NDArray patches = projOut.forward(modulate(layerNorm(h), out.get(0), out.get(1))); // (B,T,p*p*C)
        return unpatchify(patches);
    }

    /** caption ids (B,L) -> (B,L,E). */
    NDArray encodeText(NDArray tokens) {
        NDArray oneHot = tokens.oneHot(tokenizer.vocabularySize());                     // (B,L,V)
        NDArray t = oneHot.matMul(tokenEmbedding.array()).add(textPositions.array());  // (B,L,E)
        Shape e = new Shape(config.textWidth());
        for (TextLayer layer : textLayers) {
            NDArray n1 = LayerNorm.layerNorm(t, e, layer.norm1Weight().array(), layer.norm1Bias().array(), LN_EPS).singletonOrThrow();
            int n = config.textHeads();
            t = t.add(layer.out().forward(attention(rmsPerHead(layer.q().forward(n1), layer.qk().q(), n),
                    rmsPerHead(layer.k().forward(n1), layer.qk().k(), n), layer.v().forward(n1), n)));
            NDArray n2 = LayerNorm.layerNorm(t, e, layer.norm2Weight().array(), layer.norm2Bias().array(), LN_EPS).singletonOrThrow();
            t = t.add(layer.fc2().forward(Activation.gelu(layer.fc1().forward(n2))));
        }
        return LayerNorm.layerNorm(t, e, textNormWeight.array(), textNormBias.array(), LN_EPS).singletonOrThrow();
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
    public Conditioning condition(List<String> prompts, float[] guidance, NDManager target) {
        NDArray g = null;
        if (guidance != null) {
            if (guidance.length != prompts.size()) {
                throw new IllegalArgumentException(guidance.length + " guidance values for " + prompts.size() + " prompts");
            }
            g = OwnedArrays.create(target, guidance);
        } else if (config.guidanceEmbed()) {
            throw new IllegalArgumentException("this model takes a guidance value per prompt");
        }
        return new Conditioning(prompts, tokenizer.encode(prompts, target), g);
    }

    @Override
    public long[] imageShape() {
        return new long[] {config.channels(), config.imageSize(), config.imageSize()};
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public NamedParameters parameters() {
        return parameters;
    }

    @Override
    public Map<String, LinearLayer> linears() {
        return linears;
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT, "ToyDiT %dx%d patch %d, width %d, depth %d, %d heads, %,d parameters, %s",
                config.imageSize(), config.imageSize(), config.patch(), config.width(), config.depth(), config.heads(),
                parameters.count(), manager.getDevice());
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public void close() {
        manager.close();
    }
}
