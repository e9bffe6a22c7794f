package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
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
import org.flowlab.model.Parameter;

/**
 * transformers' {@code CLIPTextModel} and {@code CLIPTextModelWithProjection} (Flux's and SD3's CLIP text encoders):
 * <pre>
 * ids (B,L) -> token_embedding + position_embedding                                         (B,L,E)
 * encoder.layers.N: pre-LN causal self-attention (q/k/v/out_proj), pre-LN MLP (fc1, quick_gelu or gelu, fc2)
 * final_layer_norm -> last_hidden_state; pooled = the state at the first end-of-text token (legacy configs with
 * eos_token_id 2: at the largest id); text_projection(pooled) -> text_embeds (with projection)
 * </pre>
 * The module names are transformers' ({@code text_model.encoder.layers.0.self_attn.q_proj}).
 */
public final class CLIPTextModel extends BuiltComponent {

    /**
     * What one forward gives.
     *
     * @param hiddenStates the embeddings and every layer's output (before the final norm), as output_hidden_states
     * @param textEmbeds the projected pooled output, or null without a projection
     */
    public record Output(NDArray lastHiddenState, NDArray pooled, NDArray textEmbeds, List<NDArray> hiddenStates) {
    }

    private record Layer(Parameter ln1w, Parameter ln1b, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer out,
                         Parameter ln2w, Parameter ln2b, LinearLayer fc1, LinearLayer fc2) {
    }

    private final int heads;
    private final float eps;
    private final boolean quickGelu;
    private final long eosTokenId;
    private final Parameter tokens;
    private final Parameter positions;
    private final List<Layer> layers = new ArrayList<>();
    private final Parameter finalW;
    private final Parameter finalB;
    private final LinearLayer projection;

    private CLIPTextModel(ModelFolder f, ModuleBuilder mb, NDManager manager, boolean withProjection) {
        super(manager, mb);
        int e = f.integer("hidden_size");
        int inter = f.integer("intermediate_size");
        heads = f.integer("num_attention_heads");
        eps = (float) f.config().get("layer_norm_eps").getAsDouble();
        String act = f.string("hidden_act", "quick_gelu");
        if (!act.equals("quick_gelu") && !act.equals("gelu")) {
            throw f.unsupported("hidden_act", "'" + act + "'", "quick_gelu (CLIP-L) or gelu (CLIP-G)");
        }
        quickGelu = act.equals("quick_gelu");
        eosTokenId = f.integer("eos_token_id", 2);
        tokens = mb.tensor("text_model.embeddings.token_embedding.weight", new Shape(f.integer("vocab_size"), e), Init.NORMAL_002);
        positions = mb.tensor("text_model.embeddings.position_embedding.weight",
                new Shape(f.integer("max_position_embeddings"), e), Init.NORMAL_002);
        for (int i = 0; i < f.integer("num_hidden_layers"); i++) {
            String n = "text_model.encoder.layers." + i + ".";
            layers.add(new Layer(mb.constant(n + "layer_norm1.weight", new Shape(e), 1f), mb.constant(n + "layer_norm1.bias", new Shape(e), 0f),
                    mb.linear(n + "self_attn.q_proj", e, e, true, Init.XAVIER), mb.linear(n + "self_attn.k_proj", e, e, true, Init.XAVIER),
                    mb.linear(n + "self_attn.v_proj", e, e, true, Init.XAVIER), mb.linear(n + "self_attn.out_proj", e, e, true, Init.XAVIER),
                    mb.constant(n + "layer_norm2.weight", new Shape(e), 1f), mb.constant(n + "layer_norm2.bias", new Shape(e), 0f),
                    mb.linear(n + "mlp.fc1", e, inter, true, Init.XAVIER), mb.linear(n + "mlp.fc2", inter, e, true, Init.XAVIER)));
        }
        finalW = mb.constant("text_model.final_layer_norm.weight", new Shape(e), 1f);
        finalB = mb.constant("text_model.final_layer_norm.bias", new Shape(e), 0f);
        projection = withProjection ? mb.linear("text_projection", e, f.integer("projection_dim"), false, Init.XAVIER) : null;
    }

    /** Loads a transformers {@code text_encoder/} folder (CLIPTextModel or CLIPTextModelWithProjection). */
    public static CLIPTextModel load(Path dir, String variant, Device device) throws IOException {
        return ModelFolder.load(dir, variant, DataType.FLOAT32, device, "a CLIP text model",
                Set.of("CLIPTextModel", "CLIPTextModelWithProjection"),
                (f, mb, m) -> new CLIPTextModel(f, mb, m, f.className().equals("CLIPTextModelWithProjection")));
    }

    /** ids (B, L) int64 -> the outputs; no padding mask (the pipelines pass none), the causal mask always. */
    public Output forward(NDArray ids) {
        long b = ids.getShape().get(0);
        long l = ids.getShape().get(1);
        NDManager m = ids.getManager();
        NDArray h = tokens.array().get(ids.toType(DataType.INT64, false).flatten()).reshape(b, l, -1)
                .add(positions.array().get(new NDIndex("0:" + l)));                                  // (B,L,E)
        List<NDArray> hidden = new ArrayList<>();
        hidden.add(h);
        float[] mask = new float[(int) (l * l)];
        for (int i = 0; i < l; i++) {
            for (int j = i + 1; j < l; j++) {
                mask[(int) (i * l + j)] = -1e30f; // causal: no token sees a later one
            }
        }
        NDArray causal = org.flowlab.model.OwnedArrays.create(m, mask, new Shape(l, l));
        for (Layer layer : layers) {
            NDArray a = norm(h, layer.ln1w(), layer.ln1b());
            h = h.add(layer.out().forward(attention(layer.q().forward(a), layer.k().forward(a), layer.v().forward(a), causal)));
            NDArray x = layer.fc1().forward(norm(h, layer.ln2w(), layer.ln2b()));
            x = quickGelu ? x.mul(Activation.sigmoid(org.flowlab.model.Ops.scale(x, 1.702))) : Activation.gelu(x);
            h = h.add(layer.fc2().forward(x));
            hidden.add(h);
        }
        NDArray last = norm(h, finalW, finalB);
        long[] at = eosPositions(ids);
        NDArray pooled = null;
        for (int i = 0; i < b; i++) {
            NDArray row = last.get(new NDIndex("{}, {}, :", i, at[i])).expandDims(0);
            pooled = pooled == null ? row : pooled.concat(row, 0);
        }
        return new Output(last, pooled, projection == null ? null : projection.forward(pooled), List.copyOf(hidden));
    }

    /**
     * Where each row pools, as transformers picks it: the largest id for legacy configs (eos_token_id 2, as
     * openai/clip-vit-large-patch14), else the first end-of-text token (position 0 when there is none).
     */
    private long[] eosPositions(NDArray ids) {
        long[] flat = ids.toType(DataType.INT64, false).toLongArray();
        int b = (int) ids.getShape().get(0);
        int l = (int) ids.getShape().get(1);
        long[] at = new long[b];
        for (int i = 0; i < b; i++) {
            int best = 0;
            for (int j = 0; j < l; j++) {
                long v = flat[i * l + j];
                if (eosTokenId == 2) {
                    best = v > flat[i * l + best] ? j : best;
                } else if (v == eosTokenId) {
                    best = j;
                    break;
                }
            }
            at[i] = best;
        }
        return at;
    }

    private NDArray norm(NDArray x, Parameter w, Parameter b) {
        return LayerNorm.layerNorm(x, new Shape(w.shape().get(0)), w.array(), b.array(), eps).singletonOrThrow();
    }

    private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray causal) {
        Shape s = q.getShape();
        long dh = s.get(2) / heads;
        NDArray qh = q.reshape(s.get(0), s.get(1), heads, dh).transpose(0, 2, 1, 3);
        NDArray kh = k.reshape(s.get(0), s.get(1), heads, dh).transpose(0, 2, 3, 1);
        NDArray vh = v.reshape(s.get(0), s.get(1), heads, dh).transpose(0, 2, 1, 3);
        NDArray w = org.flowlab.model.Ops.scale(qh.matMul(kh), 1 / Math.sqrt(dh)).add(causal).softmax(-1);
        return w.matMul(vh).transpose(0, 2, 1, 3).reshape(s);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "CLIPTextModel%s %d layers, %,d parameters", projection == null ? "" : "WithProjection",
                layers.size(), parameters().count());
    }
}
