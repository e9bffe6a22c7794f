package org.flowlab.model;

import ai.djl.ndarray.NDManager;
import java.util.List;

/** Prompts to conditioning: a {@link TextEncoder}, or a cache of a text encoder's outputs. */
@FunctionalInterface
public interface PromptEncoder {

    /** Conditioning for these prompts, its arrays created in {@code manager}. The empty prompt is the unconditional one. */
    Conditioning encode(List<String> prompts, NDManager manager);
}
