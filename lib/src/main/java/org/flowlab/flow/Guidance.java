package org.flowlab.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import org.flowlab.model.Conditioning;
import org.flowlab.model.FlowModel;

/**
 * Classifier-free guidance, the one implementation the sampler and SCFM's teacher passes share:
 * {@code v = v_uncond + w (v_cond - v_uncond)}, conditional and unconditional rows in one model call.
 */
public final class Guidance {
    private Guidance() {
    }

    /**
     * The guided velocity at x (B, C, H, W), sigma (B); {@code w = 1} (or no unconditional rows) is the plain
     * conditional velocity.
     */
    public static NDArray velocity(FlowModel model, NDArray x, NDArray sigma, Conditioning cond, Conditioning uncond,
                                   double w) {
        if (w == 1.0) {
            return model.velocity(x, sigma, cond);
        }
        if (uncond == null) {
            throw new IllegalArgumentException("classifier-free guidance " + w + " needs the unconditional (empty"
                    + " prompt) conditioning");
        }
        NDArray v = model.velocity(NDArrays.concat(new NDList(x, x)), NDArrays.concat(new NDList(sigma, sigma)),
                cond.concat(uncond));                                                  // (2B, C, H, W)
        NDList parts = v.split(2, 0);
        NDArray vc = parts.get(0);
        NDArray vu = parts.get(1);
        return vu.add(vc.sub(vu).mul((float) w));
    }
}
