package org.flowlab.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.model.Conditioning;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.TextEncoder;

/**
 * Flux's two text encoders as the FluxPipeline runs them: CLIP's pooled output (77 tokens) becomes
 * {@code pooled_projections}, T5's last hidden state ({@code max_sequence_length} tokens) becomes
 * {@code encoder_hidden_states}. As a LoRA component it is CLIP ({@code text_encoder.} in diffusers' Flux LoRA files).
 */
public final class FluxTextEncoder implements TextEncoder {
    private final PromptTokenizer tokenizer;
    private final CLIPTextModel textEncoder;
    private final PromptTokenizer tokenizer2;
    private final T5EncoderModel textEncoder2;

    public FluxTextEncoder(PromptTokenizer tokenizer, CLIPTextModel textEncoder, PromptTokenizer tokenizer2,
                           T5EncoderModel textEncoder2) {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.tokenizer2 = tokenizer2;
        this.textEncoder2 = textEncoder2;
    }

    @Override
    public Conditioning encode(List<String> prompts, NDManager manager) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        try (NDManager clip = textEncoder.manager().newSubManager()) {
            NDArray ids = clip.create(tokenizer.encode(prompts).ids());
            t.put(FluxTransformer2DModel.POOLED, into(manager, textEncoder.forward(ids).pooled()));
        }
        try (NDManager t5 = textEncoder2.manager().newSubManager()) {
            NDArray ids = t5.create(tokenizer2.encode(prompts).ids());
            t.put(FluxTransformer2DModel.TEXT, into(manager, textEncoder2.forward(ids)));
        }
        return Conditioning.of(prompts, t);
    }

    static NDArray into(NDManager manager, NDArray a) {
        NDArray c = a.toDevice(manager.getDevice(), true);
        c.attach(manager);
        return c;
    }

    @Override
    public NDManager manager() {
        return textEncoder.manager();
    }

    @Override
    public NamedParameters parameters() {
        return textEncoder.parameters();
    }

    @Override
    public Map<String, LinearLayer> linears() {
        return textEncoder.linears();
    }

    @Override
    public String describe() {
        return textEncoder + " (max " + tokenizer.maxLength() + " tokens) + " + textEncoder2 + " (max "
                + tokenizer2.maxLength() + " tokens)";
    }

    @Override
    public void close() {
        textEncoder.close();
        textEncoder2.close();
    }
}
