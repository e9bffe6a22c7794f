package org.flowlab.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.model.Conditioning;

/**
 * Flux's two text encoders as the FluxPipeline runs them: CLIP's pooled output (77 tokens) becomes
 * {@code pooled_projections}, T5's last hidden state ({@code max_sequence_length} tokens) becomes
 * {@code encoder_hidden_states}. As a LoRA component it is CLIP ({@code text_encoder.} in diffusers' Flux LoRA files).
 * Both models load on first use; tokenizing and the fingerprint need neither.
 */
public final class FluxTextEncoder extends PipelineTextEncoder {
    private final PromptTokenizer tokenizer;
    private final PromptTokenizer tokenizer2;
    private final Lazy<T5EncoderModel> textEncoder2;

    FluxTextEncoder(PromptTokenizer tokenizer, Lazy<CLIPTextModel> textEncoder, PromptTokenizer tokenizer2,
                    Lazy<T5EncoderModel> textEncoder2, String fingerprint) {
        super(textEncoder, List.of(textEncoder, textEncoder2), fingerprint);
        this.tokenizer = tokenizer;
        this.tokenizer2 = tokenizer2;
        this.textEncoder2 = textEncoder2;
    }

    @Override
    public Conditioning encode(List<String> prompts, NDManager manager) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        try (NDManager clip = textEncoder.get().manager().newSubManager()) {
            NDArray ids = clip.create(tokenizer.encode(prompts).ids());
            t.put(FluxTransformer2DModel.POOLED, into(manager, textEncoder.get().forward(ids).pooled()));
        }
        try (NDManager t5 = textEncoder2.get().manager().newSubManager()) {
            NDArray ids = t5.create(tokenizer2.encode(prompts).ids());
            t.put(FluxTransformer2DModel.TEXT, into(manager, textEncoder2.get().forward(ids)));
        }
        return Conditioning.of(prompts, t);
    }

    static NDArray into(NDManager manager, NDArray a) {
        NDArray c = a.toDevice(manager.getDevice(), true);
        c.attach(manager);
        return c;
    }

    @Override
    public List<String> notes(String prompt) {
        return PromptTokenizer.truncationNotes(prompt, new String[] {"CLIP (tokenizer)", "T5 (tokenizer_2)"}, tokenizer, tokenizer2);
    }

    @Override
    public String describe() {
        return textEncoder + " (max " + tokenizer.maxLength() + " tokens) + " + textEncoder2 + " (max "
                + tokenizer2.maxLength() + " tokens)";
    }

}
