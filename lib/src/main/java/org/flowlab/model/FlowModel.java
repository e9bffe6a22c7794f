package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The network LoRA touches: a flow-matching velocity {@code v(latents, sigma, conditioning)}, trained so that
 * {@code v ~ noise - x0} at {@code x = (1 - sigma) x0 + sigma noise}.
 *
 * <p>Samplers, trainers, Glance, SCFM, the teacher cache and evaluation see a model only through this interface
 * (and {@link DiffusionModel}, which adds the text encoder and the latent codec): latents in, velocity out, under an
 * opaque {@link Conditioning} that the model's own {@link TextEncoder} made.
 */
public interface FlowModel extends Component {

    /** latents (B, C, H, W), sigma (B) in [0, 1] -> velocity (B, C, H, W). */
    NDArray velocity(NDArray latents, NDArray sigma, Conditioning conditioning);

    /** (C, H, W) of one latent. */
    long[] latentShape();

    /** Whether the model takes a guidance value as an input (Flux-dev's guidance embedding). */
    boolean takesGuidance();

    /** The compute dtype of the frozen weights (LoRA weights and optimizer state are always float32). */
    default DataType dtype() {
        return DataType.FLOAT32;
    }

    /**
     * Checks that the conditioning carries a guidance value exactly when the model takes one; the message says
     * which side is wrong. Models call this at the top of {@link #velocity}.
     */
    default void requireGuidanceMatches(Conditioning c) {
        if (takesGuidance() && c.guidance() == null) {
            throw new IllegalArgumentException("this model takes a guidance value (a guidance embedding, as Flux-dev"
                    + " has); give the conditioning one with withGuidance(...)");
        }
        if (!takesGuidance() && c.guidance() != null) {
            throw new IllegalArgumentException("this model has no guidance input, but the conditioning carries"
                    + " guidance values; leave guidance out (use classifier-free guidance for such a model)");
        }
    }

    /** latents must be (B, C, H, W) of {@link #latentShape()}; the message names both shapes. */
    default void requireLatents(NDArray latents) {
        long[] want = latentShape();
        var s = latents.getShape();
        boolean ok = s.dimension() == want.length + 1;
        for (int i = 0; ok && i < want.length; i++) {
            ok = s.get(i + 1) == want[i];
        }
        if (!ok) {
            throw new IllegalArgumentException("latents have shape " + s + "; this model takes (B, "
                    + Shapes.join(want) + ")");
        }
    }
}
