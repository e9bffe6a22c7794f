package org.flowlab.toy;

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
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.junit.jupiter.api.Test;

class ToyDiTTest {

    @Test
    void untrainedModelPredictsZeroAndHasTheRightShapes() {
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1); NDManager m = NDManager.newBaseManager();
             NoGrad ng = NoGrad.enter()) {
            NDArray x = Noise.forSeeds(m, new long[] {1, 2, 3}, model.latentShape());
            Conditioning c = model.encode(List.of("a red circle", "", "a large blue square at the top left"), m);
            assertEquals(new Shape(3, DiTConfig.tiny().textLength(), DiTConfig.tiny().textWidth()),
                    c.tensor(ToyTextEncoder.CONTEXT).getShape()); // (B, L, E)
            NDArray v = model.transformer().velocity(x, m.create(new float[] {0.1f, 0.5f, 0.9f}), c);
            assertEquals(new Shape(3, 3, 8, 8), v.getShape());
            // adaLN-Zero and a zero proj_out: every block starts as the identity and the output as zero
            assertEquals(0f, v.abs().max().getFloat(), 0f);
        }
    }

    @Test
    void aSamplePredictingModelAnswersTheVelocityOfItsCleanImage() {
        DiTConfig config = DiTConfig.tiny().withSamplePrediction(true);
        try (DiffusionModel model = ToyModel.create(config, Device.cpu(), 1); NDManager m = NDManager.newBaseManager();
             NoGrad ng = NoGrad.enter()) {
            NDArray x = Noise.forSeeds(m, new long[] {1, 2, 3}, model.latentShape());
            Conditioning c = model.encode(List.of("a red circle", "", "a blue square"), m);
            float[] sigmas = {0.01f, 0.5f, 0.9f};
            NDArray v = model.transformer().velocity(x, m.create(sigmas), c);
            // an untrained model's clean image is 0, so v = (x_t - 0) / max(sigma, 0.05): x_t - sigma v = 0 above the floor
            for (int i = 0; i < sigmas.length; i++) {
                float divisor = Math.max(sigmas[i], ToyDiT.SIGMA_FLOOR);
                assertArrayEquals(x.get(i).div(divisor).toFloatArray(), v.get(i).toFloatArray(), 1e-4f, "sigma " + sigmas[i]);
            }
            assertTrue(model.describe().contains("predicts x"), model.describe());
        }
    }

    @Test
    void forwardFlopsCountEachLinearAtItsRowsPlusAttention() {
        DiTConfig c = DiTConfig.toy();
        try (DiffusionModel one = ToyModel.create(c, Device.cpu(), 1);
             DiffusionModel two = ToyModel.create(c.withSize(c.width(), c.depth() + 1, c.heads()), Device.cpu(), 1)) {
            ToyDiT a = ToyModel.transformer(one);
            assertEquals(3 * a.forwardFlops(1), a.forwardFlops(3), "linear in the batch");
            // one more block costs its Linears' weights at their rows (image tokens, text tokens for the added
            // keys/values, one row for the modulation) and the two attention products, x2 per multiply-add
            long t = c.tokens();
            long l = c.textLength();
            long block = 0;
            for (var e : a.linears().entrySet()) {
                if (e.getKey().startsWith("transformer_blocks.0.")) {
                    long rows = e.getKey().endsWith("norm1.linear") ? 1 : e.getKey().contains("add_") ? l : t;
                    block += rows * e.getValue().weight().array().getShape().size();
                }
            }
            block += 2 * t * (l + t) * c.width();
            assertEquals(2 * block, ToyModel.transformer(two).forwardFlops(1) - a.forwardFlops(1));
        }
    }

    @Test
    void patchifyRoundTrip() {
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1); NDManager m = NDManager.newBaseManager()) {
            ToyDiT dit = ToyModel.transformer(model);
            NDArray x = Noise.forSeeds(m, new long[] {7, 8}, model.latentShape());
            NDArray patches = dit.patchify(x);
            assertEquals(new Shape(2, 4, 48), patches.getShape());
            assertArrayEquals(x.toFloatArray(), dit.unpatchify(patches).toFloatArray(), 0f);
            // the first patch holds pixel (0,0) of every channel, channel last
            assertEquals(x.getFloat(0, 1, 0, 0), patches.getFloat(0, 0, 1), 0f);
        }
    }

    @Test
    void sameSeedSameWeights() {
        try (DiffusionModel a = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 5);
             DiffusionModel b = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 5);
             DiffusionModel c = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 6)) {
            String name = "transformer_blocks.0.attn.to_q.weight";
            NDArray wa = a.transformer().parameters().get(name).array();
            assertArrayEquals(wa.toFloatArray(), b.transformer().parameters().get(name).array().toFloatArray());
            assertTrue(wa.sub(c.transformer().parameters().get(name).array()).abs().sum().getFloat() > 0);
        }
    }

    @Test
    void linearsHaveDiffusersNames() {
        try (DiffusionModel model = ToyModel.create(DiTConfig.toy(), Device.cpu(), 1)) {
            for (String n : List.of("transformer_blocks.0.attn.to_q", "transformer_blocks.3.ff.net.2",
                    "transformer_blocks.2.ff.net.0.proj", "transformer_blocks.0.attn.to_out.0",
                    "time_text_embed.timestep_embedder.linear_1", "time_text_embed.text_embedder.linear_2", "proj_out",
                    "x_embedder", "context_embedder", "transformer_blocks.1.norm1.linear", "norm_out.linear")) {
                assertTrue(model.transformer().linears().containsKey(n), n);
            }
            for (String n : List.of("text_model.encoder.layers.0.self_attn.k_proj", "text_model.encoder.layers.1.mlp.fc2")) {
                assertTrue(model.textEncoder().linears().containsKey(n), n);
            }
            // the text encoder is its own component: no transformer Linear is one of its layers
            assertTrue(model.transformer().linears().keySet().stream().noneMatch(k -> k.contains("text_model")));
            long total = model.transformer().parameters().count() + model.textEncoder().parameters().count();
            assertTrue(total > 1_000_000 && total < 3_000_000, model.describe());
        }
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DiTConfig(3, 32, 3, 128, 4, 4, 4, 64, 2, 4, 16, false, false));
        assertTrue(e.getMessage().contains("patch 3 does not divide"), e.getMessage());
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1); NDManager m = NDManager.newBaseManager()) {
            NDArray wrong = m.zeros(new Shape(1, 3, 16, 16));
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> model.transformer().velocity(wrong, m.create(new float[] {0.5f}), model.encode(List.of("x"), m)));
            assertTrue(e2.getMessage().contains("(1, 3, 16, 16)"), e2.getMessage());
            // guidance given to a model without a guidance input
            Conditioning guided = model.encode(List.of("a red circle"), m).withGuidance(3.5, m);
            IllegalArgumentException e4 = assertThrows(IllegalArgumentException.class,
                    () -> model.transformer().velocity(m.zeros(new Shape(1, 3, 8, 8)), m.create(new float[] {0.5f}), guided));
            assertTrue(e4.getMessage().contains("no guidance input"), e4.getMessage());
            IllegalArgumentException e5 = assertThrows(IllegalArgumentException.class,
                    () -> model.textEncoder().check("a red zebra"));
            assertTrue(e5.getMessage().contains("'zebra'"), e5.getMessage());
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
