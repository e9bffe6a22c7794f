package org.flowlab.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * A network component with named parameters and named Linears: what LoRA, EMA weight sets, checkpoints and
 * optimizers need to know of a transformer or a text encoder. Names are the diffusers state_dict names
 * ({@code transformer_blocks.0.attn.to_q}), so LoRA targets, files and errors read as a researcher expects.
 */
public interface Component extends AutoCloseable {

    /** Where the parameters live. */
    NDManager manager();

    default Device device() {
        return manager().getDevice();
    }

    NamedParameters parameters();

    /** Every Linear by its dotted name, in creation order (LoRA targets are picked from these). */
    Map<String, LinearLayer> linears();

    /** A short description: kind, size, parameter count. */
    String describe();

    @Override
    void close();
}
