package org.flowlab.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;

/**
 * A flow-matching velocity network: {@code v(x, sigma, conditioning)}, trained so that
 * {@code v ~ noise - x0} at {@code x = (1 - sigma) x0 + sigma noise}.
 *
 * <p>LoRA, EMA weight sets, checkpoints and trainers use only this interface: named parameters and named Linears.
 * Flowlab's toy DiT implements it; a pre-trained TorchScript model with LoRA slots can too.
 */
public interface VelocityModel extends AutoCloseable {

    /** x (B, C, H, W), sigma (B) in [0, 1] -> velocity (B, C, H, W). */
    NDArray velocity(NDArray x, NDArray sigma, Conditioning conditioning);

    /** Conditioning for these prompts, its arrays created in {@code manager}; {@code guidance} may be null. */
    Conditioning condition(List<String> prompts, float[] guidance, NDManager manager);

    default Conditioning condition(List<String> prompts, NDManager manager) {
        return condition(prompts, null, manager);
    }

    /** (C, H, W) of the images (latents) it works on. */
    long[] imageShape();

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
