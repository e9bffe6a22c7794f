package org.flowlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.util.function.UnaryOperator;
import org.flowlab.model.Conditioning;
import org.flowlab.model.Engines;
import org.flowlab.model.FlowModel;
import org.flowlab.model.Recomputable;

/**
 * The gradient half of a training step, one place for both ways: a plain backward pass, or block-wise recomputation
 * when the model offers it and has it switched on ({@link Recomputable}). Either way the parameters' gradients hold
 * the gradient of the loss afterwards and the loss value comes back; nothing is applied here.
 */
public final class Backprop {
    private Backprop() {
    }

    /** {@code loss(model.velocity(x, sigma, c))}: its value, with the trainable parameters' gradients filled in. */
    public static float lossAndGradients(FlowModel model, NDArray x, NDArray sigma, Conditioning c,
                                         UnaryOperator<NDArray> loss) {
        if (model instanceof Recomputable r && r.recomputes()) {
            return r.lossAndGradients(x, sigma, c, loss);
        }
        try (GradientCollector gc = Engines.get().newGradientCollector()) {
            NDArray l = loss.apply(model.velocity(x, sigma, c));
            float value = l.getFloat();
            if (Float.isFinite(value)) {
                gc.backward(l);
            }
            return value;
        }
    }
}
