package org.flowlab.model;

import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Prompts to the {@link Conditioning} its {@link FlowModel} reads. Run once per prompt batch (and cacheable), never
 * inside a velocity call. A text encoder is a {@link Component} too, so LoRA can target it when asked (it is never a
 * default target).
 */
public interface TextEncoder extends Component, PromptEncoder {

    /** Conditioning for these prompts, its arrays created in {@code manager}. The empty prompt is the unconditional one. */
    @Override
    Conditioning encode(List<String> prompts, NDManager manager);

    /**
     * The prompt as this encoder will read it, or an error naming the first word it cannot read. Encoders that read
     * anything (byte-level BPE) return it unchanged.
     */
    default String check(String prompt) {
        return prompt;
    }

    /**
     * What a user should know of how this encoder reads the prompt, one line each: that a long prompt is cut to a
     * tokenizer's limit (as diffusers cuts it), for example. Empty when it reads the whole prompt.
     */
    default List<String> notes(String prompt) {
        return List.of();
    }

    /**
     * What the base encoder's output (no LoRA) depends on, as a hash: equal fingerprints give equal conditioning for
     * equal prompts, so caches key stored conditioning by it. By default the class and every parameter's values
     * (fine for small encoders); encoders loaded from large files hash the files instead, without loading them.
     */
    default String fingerprint() {
        return Fingerprint.of("text encoder").add(getClass().getName()).add(parameters()).hex();
    }
}
