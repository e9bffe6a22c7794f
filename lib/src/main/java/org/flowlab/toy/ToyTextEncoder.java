package org.flowlab.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flowlab.model.BuiltComponent;
import org.flowlab.model.Conditioning;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.Parameter;
import org.flowlab.model.TextEncoder;

/**
 * The toy's text encoder: a small pre-LN transformer over the caption grammar's words, named as transformers'
 * {@code CLIPTextModel} is ({@code text_model.encoder.layers.N.self_attn.q_proj}, {@code .mlp.fc1}, ...).
 *
 * <pre>
 * caption ids (B,L) -> token_embedding + position_embedding (B,L,E) -> layers (attention + MLP) -> final_layer_norm
 * </pre>
 * Its output is the conditioning tensor {@value #CONTEXT} (B, L, E) that {@link ToyDiT} reads.
 */
public final class ToyTextEncoder extends BuiltComponent implements TextEncoder {
    /** The conditioning tensor this encoder makes: (B, L, E). */
    public static final String CONTEXT = "context";
    static final float LN_EPS = 1e-6f;

    private final DiTConfig config;
    private final Tokenizer tokenizer;
    private final Parameter tokenEmbedding; // (V, E)
    private final Parameter positions;      // (L, E)
    private final List<Layer> layers = new ArrayList<>();
    private final Parameter finalNormWeight;
    private final Parameter finalNormBias;
    /** The world's caption grammar: returns the prompt or throws naming the word (the second world's parser). */
    private volatile java.util.function.UnaryOperator<String> grammar = p -> p;

    private record Layer(Parameter norm1Weight, Parameter norm1Bias, LinearLayer q, LinearLayer k, LinearLayer v,
                         LinearLayer out, Parameter normQ, Parameter normK, Parameter norm2Weight, Parameter norm2Bias,
                         LinearLayer fc1, LinearLayer fc2) {
    }

    /** Creates the parameters through {@code mb} (its manager becomes this encoder's). */
    ToyTextEncoder(DiTConfig config, Tokenizer tokenizer, ModuleBuilder mb, NDManager manager) {
        super(manager, mb);
        this.config = config;
        this.tokenizer = tokenizer;
        int e = config.textWidth();
        tokenEmbedding = mb.tensor("text_model.embeddings.token_embedding.weight",
                new Shape(tokenizer.vocabularySize(), e), Init.NORMAL_002);
        positions = mb.tensor("text_model.embeddings.position_embedding.weight", new Shape(config.textLength(), e),
                Init.NORMAL_002);
        for (int i = 0; i < config.textDepth(); i++) {
            String n = "text_model.encoder.layers." + i;
            int dh = e / config.textHeads();
            layers.add(new Layer(
                    mb.constant(n + ".layer_norm1.weight", new Shape(e), 1f), mb.constant(n + ".layer_norm1.bias", new Shape(e), 0f),
                    mb.linear(n + ".self_attn.q_proj", e, e, true, Init.XAVIER),
                    mb.linear(n + ".self_attn.k_proj", e, e, true, Init.XAVIER),
                    mb.linear(n + ".self_attn.v_proj", e, e, true, Init.XAVIER),
                    mb.linear(n + ".self_attn.out_proj", e, e, true, Init.XAVIER),
                    mb.constant(n + ".self_attn.norm_q.weight", new Shape(dh), 1f),
                    mb.constant(n + ".self_attn.norm_k.weight", new Shape(dh), 1f),
                    mb.constant(n + ".layer_norm2.weight", new Shape(e), 1f), mb.constant(n + ".layer_norm2.bias", new Shape(e), 0f),
                    mb.linear(n + ".mlp.fc1", e, (long) e * config.mlpRatio(), true, Init.XAVIER),
                    mb.linear(n + ".mlp.fc2", (long) e * config.mlpRatio(), e, true, Init.XAVIER)));
        }
        finalNormWeight = mb.constant("text_model.final_layer_norm.weight", new Shape(e), 1f);
        finalNormBias = mb.constant("text_model.final_layer_norm.bias", new Shape(e), 0f);
    }

    /**
     * Matmul FLOPs (two per multiply-add) of one forward over {@code batch} captions, from the config: the one-hot
     * embedding product, then per layer q, k, v, out, the two attention products and the MLP.
     */
    public long forwardFlops(long batch) {
        long l = config.textLength();
        long e = config.textWidth();
        long perLayer = 4 * l * e * e + 2 * l * l * e + 2 * l * e * e * config.mlpRatio();
        return 2 * batch * (l * tokenizer.vocabularySize() * e + config.textDepth() * perLayer);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public Conditioning encode(List<String> prompts, NDManager target) {
        NDArray ids = tokenizer.encode(prompts, target);                                  // (B,L)
        NDArray oneHot = ids.oneHot(tokenizer.vocabularySize());                          // (B,L,V)
        NDArray t = oneHot.matMul(tokenEmbedding.array()).add(positions.array());        // (B,L,E)
        Shape e = new Shape(config.textWidth());
        for (Layer layer : layers) {
            NDArray n1 = LayerNorm.layerNorm(t, e, layer.norm1Weight().array(), layer.norm1Bias().array(), LN_EPS).singletonOrThrow();
            int n = config.textHeads();
            t = t.add(layer.out().forward(ToyDiT.attention(ToyDiT.rmsPerHead(layer.q().forward(n1), layer.normQ(), n),
                    ToyDiT.rmsPerHead(layer.k().forward(n1), layer.normK(), n), layer.v().forward(n1), n)));
            NDArray n2 = LayerNorm.layerNorm(t, e, layer.norm2Weight().array(), layer.norm2Bias().array(), LN_EPS).singletonOrThrow();
            t = t.add(layer.fc2().forward(Activation.gelu(layer.fc1().forward(n2))));
        }
        NDArray context = LayerNorm.layerNorm(t, e, finalNormWeight.array(), finalNormBias.array(), LN_EPS).singletonOrThrow();
        return Conditioning.of(prompts, Map.of(CONTEXT, context));
    }

    /**
     * Every word must be in the vocabulary (the toy has no sub-word fallback), and the caption must fit its world's
     * grammar when it has one (contradicting attributes); the error names the word.
     */
    @Override
    public String check(String prompt) {
        for (String w : Tokenizer.words(prompt)) {
            if (!tokenizer.knows(w)) {
                throw new IllegalArgumentException("the toy text encoder does not know the word '" + w + "' in '"
                        + prompt + "'");
            }
        }
        return grammar.apply(prompt);
    }

    void useGrammar(java.util.function.UnaryOperator<String> g) {
        grammar = g;
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT, "ToyTextEncoder width %d, %d layers, %d words, %,d parameters",
                config.textWidth(), config.textDepth(), tokenizer.vocabularySize(), parameters().count());
    }
}
