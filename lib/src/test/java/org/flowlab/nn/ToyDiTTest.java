package org.flowlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.flowlab.flow.Noise;
import org.junit.jupiter.api.Test;

class ToyDiTTest {

    @Test
    void untrainedModelPredictsZeroAndHasTheRightShapes() {
        try (ToyDiT model = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 1); NDManager m = NDManager.newBaseManager();
             NoGrad ng = NoGrad.enter()) {
            NDArray x = Noise.forSeeds(m, new long[] {1, 2, 3}, model.imageShape());
            NDArray v = model.velocity(x, m.create(new float[] {0.1f, 0.5f, 0.9f}), model.condition(
                    List.of("a red circle", "", "a large blue square at the top left"), m));
            assertEquals(new Shape(3, 3, 8, 8), v.getShape());
            // adaLN-Zero and a zero proj_out: every block starts as the identity and the output as zero
            assertEquals(0f, v.abs().max().getFloat(), 0f);
        }
    }

    @Test
    void patchifyRoundTrip() {
        try (ToyDiT model = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 1); NDManager m = NDManager.newBaseManager()) {
            NDArray x = Noise.forSeeds(m, new long[] {7, 8}, model.imageShape());
            NDArray patches = model.patchify(x);
            assertEquals(new Shape(2, 4, 48), patches.getShape());
            assertArrayEquals(x.toFloatArray(), model.unpatchify(patches).toFloatArray(), 0f);
            // the first patch holds pixel (0,0) of every channel, channel last
            assertEquals(x.getFloat(0, 1, 0, 0), patches.getFloat(0, 0, 1), 0f);
        }
    }

    @Test
    void sameSeedSameWeights() {
        try (ToyDiT a = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 5); ToyDiT b = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 5);
             ToyDiT c = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 6)) {
            String name = "blocks.0.attn.to_q.weight";
            assertArrayEquals(a.parameters().get(name).array().toFloatArray(), b.parameters().get(name).array().toFloatArray());
            assertTrue(a.parameters().get(name).array().sub(c.parameters().get(name).array()).abs().sum().getFloat() > 0);
        }
    }

    @Test
    void linearsHaveDiffusersStyleNames() {
        try (ToyDiT model = new ToyDiT(DiTConfig.toy(), Device.cpu(), 1)) {
            for (String n : List.of("blocks.0.attn.to_q", "blocks.3.ff.fc2", "time_embed.linear_1", "proj_out",
                    "x_embedder.proj", "context_embedder", "blocks.1.norm1.linear", "text_encoder.layers.0.attn.to_k")) {
                assertTrue(model.linears().containsKey(n), n);
            }
            assertTrue(model.parameters().count() > 1_000_000 && model.parameters().count() < 3_000_000,
                    model.describe());
        }
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DiTConfig(3, 32, 3, 128, 4, 4, 4, 64, 2, 4, 16, false));
        assertTrue(e.getMessage().contains("patch 3 does not divide"), e.getMessage());
        try (ToyDiT model = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 1); NDManager m = NDManager.newBaseManager()) {
            NDArray wrong = m.zeros(new Shape(1, 3, 16, 16));
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> model.velocity(wrong, m.create(new float[] {0.5f}), model.condition(List.of("x"), m)));
            assertTrue(e2.getMessage().contains("(1, 3, 16, 16)"), e2.getMessage());
        }
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> Engines.device("cuda:0"));
        assertTrue(e3.getMessage().contains("cuda:0"), e3.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Engines.device("tpu"));
        assertEquals(Device.cpu(), Engines.device("cpu"));
    }

    @Test
    void tokenizer() {
        Tokenizer t = new Tokenizer(Tokenizer.DEFAULT_WORDS, 6);
        int[] ids = t.encode("A red, Circle zebra at the top left");
        assertEquals(6, ids.length);
        assertEquals(t.vocabulary().indexOf(Tokenizer.BOS), ids[0]);
        assertEquals(t.vocabulary().indexOf("a"), ids[1]);
        assertEquals(t.vocabulary().indexOf("circle"), ids[3]);
        assertEquals(t.vocabulary().indexOf(Tokenizer.UNK), ids[4]);
        assertArrayEquals(new int[] {1, 0, 0, 0, 0, 0}, t.encode(""));
    }
}
