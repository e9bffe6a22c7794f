package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
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
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Parameter;

/**
 * transformers' {@code T5EncoderModel} in the T5 v1.1 layout Flux and SD3 use (T5-XXL):
 * <pre>
 * ids (B,L) -> shared (the embedding; encoder.embed_tokens is tied to it and usually absent from the file)
 * encoder.block.N: layer.0 = RMS layer_norm, SelfAttention (q/k/v/o, no scaling, relative position bias made in
 *   block 0 and reused), layer.1 = RMS layer_norm, DenseReluDense gated GELU(tanh) (wi_0, wi_1, wo)
 * encoder.final_layer_norm -> last_hidden_state
 * </pre>
 */
public final class T5EncoderModel extends BuiltComponent {

    private record Block(Parameter attnNorm, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer o, Parameter ffNorm,
                         LinearLayer wi0, LinearLayer wi1, LinearLayer wo) {
    }

    private final int heads;
    private final int dkv;
    private final int buckets;
    private final int maxDistance;
    private final float eps;
    private final Parameter shared;
    private final Parameter relativeBias; // (buckets, heads)
    private final List<Block> blocks = new ArrayList<>();
    private final Parameter finalNorm;

    private T5EncoderModel(ModelFolder f, ModuleBuilder mb, NDManager manager) {
        super(manager, mb);
        String ff = f.string("feed_forward_proj", "relu");
        if (!ff.equals("gated-gelu")) {
            throw f.unsupported("feed_forward_proj", "'" + ff + "'", "T5 v1.1's gated-gelu (the T5 of Flux and SD3)");
        }
        int d = f.integer("d_model");
        dkv = f.integer("d_kv");
        heads = f.integer("num_heads");
        int dff = f.integer("d_ff");
        buckets = f.integer("relative_attention_num_buckets", 32);
        maxDistance = f.integer("relative_attention_max_distance", 128);
        eps = (float) f.config().get("layer_norm_epsilon").getAsDouble();
        long inner = (long) heads * dkv;
        shared = mb.tensor("shared.weight", new Shape(f.integer("vocab_size"), d), Init.NORMAL_002);
        Parameter bias = null;
        for (int i = 0; i < f.integer("num_layers"); i++) {
            String n = "encoder.block." + i + ".layer.";
            LinearLayer q = mb.linear(n + "0.SelfAttention.q", d, inner, false, Init.XAVIER);
            LinearLayer k = mb.linear(n + "0.SelfAttention.k", d, inner, false, Init.XAVIER);
            LinearLayer v = mb.linear(n + "0.SelfAttention.v", d, inner, false, Init.XAVIER);
            LinearLayer o = mb.linear(n + "0.SelfAttention.o", inner, d, false, Init.XAVIER);
            if (i == 0) {
                bias = mb.tensor(n + "0.SelfAttention.relative_attention_bias.weight", new Shape(buckets, heads), Init.NORMAL_002);
            }
            blocks.add(new Block(mb.constant(n + "0.layer_norm.weight", new Shape(d), 1f), q, k, v, o,
                    mb.constant(n + "1.layer_norm.weight", new Shape(d), 1f),
                    mb.linear(n + "1.DenseReluDense.wi_0", d, dff, false, Init.XAVIER),
                    mb.linear(n + "1.DenseReluDense.wi_1", d, dff, false, Init.XAVIER),
                    mb.linear(n + "1.DenseReluDense.wo", dff, d, false, Init.XAVIER)));
        }
        relativeBias = bias;
        finalNorm = mb.constant("encoder.final_layer_norm.weight", new Shape(d), 1f);
    }

    /** Loads a transformers {@code text_encoder_2/} (Flux) or {@code text_encoder_3/} (SD3) folder. */
    public static T5EncoderModel load(Path dir, String variant, Device device) throws IOException {
        return ModelFolder.load(dir, variant, DataType.FLOAT32, device, "a T5EncoderModel", Set.of("T5EncoderModel"),
                (f, mb, m) -> {
                    T5EncoderModel model = new T5EncoderModel(f, mb, m);
                    f.tied("encoder.embed_tokens.weight"); // tied to shared.weight; save_pretrained usually drops it
                    return model;
                });
    }

    /** ids (B, L) -> last_hidden_state (B, L, d_model); no padding mask, as the pipelines call it. */
    public NDArray forward(NDArray ids) {
        long b = ids.getShape().get(0);
        int l = (int) ids.getShape().get(1);
        NDArray h = shared.array().get(ids.toType(DataType.INT64, false).flatten()).reshape(b, l, -1); // (B,L,D)
        NDArray bias = positionBias(l, ids.getManager());                                              // (1,H,L,L)
        for (Block blk : blocks) {
            NDArray x = Blocks.rmsNorm(h, blk.attnNorm().array(), eps);
            h = h.add(blk.o().forward(attention(blk.q().forward(x), blk.k().forward(x), blk.v().forward(x), bias)));
            NDArray y = Blocks.rmsNorm(h, blk.ffNorm().array(), eps);
            h = h.add(blk.wo().forward(Blocks.geluTanh(blk.wi0().forward(y)).mul(blk.wi1().forward(y))));
        }
        return Blocks.rmsNorm(h, finalNorm.array(), eps);
    }

    /** softmax(q k^T + bias) v per head: T5 has no 1/sqrt(d) scaling (it is folded into the weights). */
    private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias) {
        Shape s = q.getShape();
        NDArray qh = q.reshape(s.get(0), s.get(1), heads, dkv).transpose(0, 2, 1, 3);
        NDArray kh = k.reshape(s.get(0), s.get(1), heads, dkv).transpose(0, 2, 3, 1);
        NDArray vh = v.reshape(s.get(0), s.get(1), heads, dkv).transpose(0, 2, 1, 3);
        NDArray w = qh.matMul(kh).add(bias).softmax(-1);
        return w.matMul(vh).transpose(0, 2, 1, 3).reshape(s.get(0), s.get(1), (long) heads * dkv);
    }

    /** The bidirectional relative-position bias of block 0, (1, H, L, L). */
    private NDArray positionBias(int l, NDManager m) {
        int[] bucket = new int[l * l];
        for (int i = 0; i < l; i++) {
            for (int j = 0; j < l; j++) {
                bucket[i * l + j] = bucket(j - i);
            }
        }
        NDArray idx = OwnedArrays.create(m, bucket, new Shape(l * l)).toType(DataType.INT64, false);
        return relativeBias.array().get(idx).reshape(l, l, heads).transpose(2, 0, 1).expandDims(0);
    }

    /**
     * T5's relative-position bucket (bidirectional): half the buckets per direction, exact below max_exact = n/4,
     * logarithmic up to max_distance, in float32 as transformers computes it.
     */
    int bucket(int relative) {
        int n = buckets / 2;
        int out = relative > 0 ? n : 0;
        int r = Math.abs(relative);
        int maxExact = n / 2;
        if (r < maxExact) {
            return out + r;
        }
        float scaled = (float) Math.log((float) r / maxExact) / (float) Math.log((double) maxDistance / maxExact)
                * (n - maxExact);
        return out + Math.min(maxExact + (int) scaled, n - 1);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "T5EncoderModel %d blocks, %,d parameters", blocks.size(), parameters().count());
    }
}
