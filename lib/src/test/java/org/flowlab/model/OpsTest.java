package org.flowlab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class OpsTest {
    @Test
    void castKeepsValuesAndTheGradient() {
        Engines.prepareThread();
        try (NDManager m = Engines.get().newBaseManager()) {
            NDArray p = m.create(new float[] {0.5f, -1.25f, 3f}, new ai.djl.ndarray.types.Shape(3));
            p.setRequiresGradient(true);
            try (GradientCollector gc = Engines.get().newGradientCollector()) {
                NDArray half = Ops.cast(p, DataType.FLOAT16);
                assertEquals(DataType.FLOAT16, half.getDataType());
                NDArray back = Ops.cast(Ops.scale(half, 3), DataType.FLOAT32);
                assertArrayEquals(new float[] {1.5f, -3.75f, 9f}, back.toFloatArray(), 1e-3f);
                gc.backward(back.sum());
            }
            assertArrayEquals(new float[] {3f, 3f, 3f}, p.getGradient().toFloatArray(), 1e-3f,
                    "d(sum(3 x))/dx through two casts");
            assertSame(p, Ops.cast(p, DataType.FLOAT32), "no cast: the array itself");
        }
    }
}
