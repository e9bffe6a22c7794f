package org.flowlab.ema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.lora.WeightSet;
import org.flowlab.toy.DiTConfig;
import org.flowlab.model.Engines;
import org.flowlab.model.Parameter;
import org.flowlab.model.DiffusionModel;
import org.flowlab.toy.ToyModel;
import org.junit.jupiter.api.Test;

class EmaTest {

    static void fill(Parameter p, float value) {
        try (NDManager tmp = NDManager.newBaseManager()) {
            p.copyFrom(tmp.full(p.shape(), value));
        }
    }

    @Test
    void matchesAHandComputationOverSeveralSteps() {
        Engines.prepareThread();
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1)) {
            LoraAdapter student = Lora.of(model.transformer()).add(new LoraConfig("student", 2, 2, TargetSelector.exact("proj_out")), 1);
            Parameter b = student.pair("proj_out").b();
            try (Ema fast = Ema.create("fast", student, 0.9, Ema.Start.ZERO);
                 Ema slow = Ema.create("slow", student, 0.99, Ema.Start.STUDENT)) {
                String bName = b.name();
                assertEquals(0f, fast.weights().get(bName).sum().getFloat(), 0f, "zero start");
                double fastHand = 0;
                double slowHand = 0; // the student's B starts at 0
                float[] thetas = {1f, 3f, -2f, 0.5f};
                for (float theta : thetas) {
                    fill(b, theta);
                    fast.update();
                    slow.update();
                    fastHand = 0.9 * fastHand + 0.1 * theta;
                    slowHand = 0.99 * slowHand + 0.01 * theta;
                }
                assertEquals(fastHand, fast.weights().get(bName).getFloat(0, 0), 1e-6);
                assertEquals(slowHand, slow.weights().get(bName).getFloat(0, 0), 1e-6);
                assertEquals(4, fast.updates());

                // A starts gaussian: the STUDENT start copies it, ZERO does not; after 4 updates with A fixed:
                String aName = student.pair("proj_out").a().name();
                float a0 = student.pair("proj_out").a().array().getFloat(0, 0);
                assertEquals(a0 * (1 - Math.pow(0.9, 4)), fast.weights().get(aName).getFloat(0, 0), 1e-6);
                assertEquals(a0, slow.weights().get(aName).getFloat(0, 0), 1e-6);

                fast.setDecay(0.5);
                fast.update();
                assertEquals(0.5 * fastHand + 0.5 * 0.5f, fast.weights().get(bName).getFloat(0, 0), 1e-6);

                fast.restart();
                assertArrayEquals(b.array().toFloatArray(), fast.weights().get(bName).toFloatArray(), 0f);
                assertEquals(0, fast.updates());
                fast.reset();
                assertEquals(0f, fast.weights().get(aName).abs().sum().getFloat(), 0f);

                EmaStats stats = EmaStats.of(4, List.of(WeightSet.view(student), fast.weights(), slow.weights()));
                assertEquals(WeightSet.view(student).norm(), stats.norms().get("student"), 1e-9);
                assertEquals(WeightSet.view(student).norm(), stats.distances().get("student-fast"), 1e-5);
                assertEquals(List.of("student", "fast", "slow"), List.copyOf(stats.norms().keySet()));
                assertThrows(IllegalArgumentException.class, () -> fast.setDecay(1.5));
            }
        }
    }
}
