package org.flowlab.model;

import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Prompts to the {@link Conditioning} its {@link FlowModel} reads. Run once per prompt batch (and cacheable), never
 * inside a velocity call. A text encoder is a {@link Component} too, so LoRA can target it when asked (it is never a
 * default target).
 */
public interface TextEncoder extends Component {

    /** Conditioning for these prompts, its arrays created in {@code manager}. The empty prompt is the unconditional one. */
    Conditioning encode(List<String> prompts, NDManager manager);

    /**
     * The prompt as this encoder will read it, or an error naming the first word it cannot read. Encoders that read
     * anything (byte-level BPE) return it unchanged.
     */
    default String check(String prompt) {
        return prompt;
    }
}
