package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A named tensor a model learns. The array is live: optimizers update it in place, and its identity never
 * changes, so LoRA branches, EMA sets and optimizer state can hold on to it.
 */
public final class Parameter {
    private final String name;
    private final NDArray array;
    private boolean trainable;

    public Parameter(String name, NDArray array) {
        this.name = name;
        this.array = array;
        array.setName(name);
    }

    public String name() {
        return name;
    }

    public NDArray array() {
        return array;
    }

    public Shape shape() {
        return array.getShape();
    }

    public boolean trainable() {
        return trainable;
    }

    /** Attaches (or drops) a gradient; frozen parameters get none, so backward never touches them. */
    public void setTrainable(boolean trainable) {
        if (this.trainable != trainable) {
            array.setRequiresGradient(trainable);
            this.trainable = trainable;
        }
    }

    /** Overwrites the values in place (outside any GradientCollector). */
    public void copyFrom(NDArray values) {
        if (!values.getShape().equals(array.getShape())) {
            throw new IllegalArgumentException("parameter " + name + " has shape " + array.getShape()
                    + ", the values have " + values.getShape());
        }
        array.set(new ai.djl.ndarray.index.NDIndex("..."), values);
    }

    @Override
    public String toString() {
        return name + " " + array.getShape() + (trainable ? " trainable" : "");
    }
}
