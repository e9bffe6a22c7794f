package org.flowlab.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.model.Conditioning;

/**
 * SD3's three text encoders as StableDiffusion3Pipeline runs them: the penultimate hidden states of CLIP-L and
 * CLIP-G side by side, zero-padded to T5's width and followed by T5's last hidden state along the sequence
 * ({@code encoder_hidden_states}); the two CLIPs' projected pooled outputs side by side ({@code pooled_projections}).
 * As a LoRA component it is CLIP-L ({@code text_encoder.} in diffusers' SD3 LoRA files). The three models load on
 * first use.
 */
public final class SD3TextEncoder extends PipelineTextEncoder {
    private final PromptTokenizer tokenizer;
    private final PromptTokenizer tokenizer2;
    private final Lazy<CLIPTextModel> textEncoder2;
    private final PromptTokenizer tokenizer3;
    private final Lazy<T5EncoderModel> textEncoder3;

    SD3TextEncoder(PromptTokenizer tokenizer, Lazy<CLIPTextModel> textEncoder, PromptTokenizer tokenizer2,
                   Lazy<CLIPTextModel> textEncoder2, PromptTokenizer tokenizer3, Lazy<T5EncoderModel> textEncoder3,
                   String fingerprint) {
        super(textEncoder, List.of(textEncoder, textEncoder2, textEncoder3), fingerprint);
        this.tokenizer = tokenizer;
        this.tokenizer2 = tokenizer2;
        this.textEncoder2 = textEncoder2;
        this.tokenizer3 = tokenizer3;
        this.textEncoder3 = textEncoder3;
    }

    @Override
    public Conditioning encode(List<String> prompts, NDManager manager) {
        NDArray[] l = clip(tokenizer, textEncoder.get(), prompts, manager);
        NDArray[] g = clip(tokenizer2, textEncoder2.get(), prompts, manager);
        NDArray t5;
        try (NDManager sub = textEncoder3.get().manager().newSubManager()) {
            t5 = FluxTextEncoder.into(manager, textEncoder3.get().forward(sub.create(tokenizer3.encode(prompts).ids())));
        }
        NDArray clipStates = l[0].concat(g[0], -1);
        long width = t5.getShape().get(2);
        long pad = width - clipStates.getShape().get(2);
        if (pad < 0) {
            throw new IllegalArgumentException("the CLIP states are " + clipStates.getShape().get(2) + " wide, more than"
                    + " T5's " + width + ": not an SD3 pipeline");
        }
        if (pad > 0) {
            Shape s = clipStates.getShape();
            clipStates = clipStates.concat(manager.zeros(new Shape(s.get(0), s.get(1), pad)), -1);
        }
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put(SD3Transformer2DModel.TEXT, NDArrays.concat(new NDList(clipStates, t5), 1));
        t.put(SD3Transformer2DModel.POOLED, l[1].concat(g[1], -1));
        return Conditioning.of(prompts, t);
    }

    /** The penultimate hidden states (clip_skip none) and the projected pooled output. */
    private static NDArray[] clip(PromptTokenizer tokens, CLIPTextModel model, List<String> prompts, NDManager manager) {
        try (NDManager sub = model.manager().newSubManager()) {
            CLIPTextModel.Output o = model.forward(sub.create(tokens.encode(prompts).ids()));
            if (o.textEmbeds() == null) {
                throw new IllegalArgumentException("SD3 needs CLIPTextModelWithProjection text encoders; this one has no projection");
            }
            List<NDArray> hidden = o.hiddenStates();
            return new NDArray[] {FluxTextEncoder.into(manager, hidden.get(hidden.size() - 2)),
                FluxTextEncoder.into(manager, o.textEmbeds())};
        }
    }

    @Override
    public List<String> notes(String prompt) {
        return PromptTokenizer.truncationNotes(prompt, new String[] {"CLIP-L (tokenizer)", "CLIP-G (tokenizer_2)", "T5 (tokenizer_3)"}, tokenizer, tokenizer2, tokenizer3);
    }

    @Override
    public String describe() {
        return textEncoder + " + " + textEncoder2 + " + " + textEncoder3 + " (max " + tokenizer3.maxLength() + " tokens)";
    }

}
