package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Arrays from Java data whose memory libtorch owns. DJL's {@code create(float[])} on CPU wraps a direct
 * ByteBuffer with {@code from_blob}: views and autograd can outlive the wrapper that keeps the buffer alive, and the
 * garbage collector then frees memory a tensor still reads. A copy owned by libtorch has no such lifetime to manage.
 */
public final class OwnedArrays {
    private OwnedArrays() {
    }

    public static NDArray create(NDManager manager, float[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    public static NDArray create(NDManager manager, float[] data) {
        return create(manager, data, new Shape(data.length));
    }

    public static NDArray create(NDManager manager, int[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }
}
