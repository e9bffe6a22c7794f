package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensors;
import org.flowlab.lora.Lora;
import org.flowlab.model.Conditioning;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flowlab's SD3 transformer against diffusers' outputs on the tiny fixture (an SD3.5 dual-attention block, the
 * context_pre_only last block, RMS q/k norms, a cropped position table): both input sets, F32 and BF16 weights,
 * with and without the fixture's LoRA, within 1e-4 max abs.
 */
class SD3ParityTest {
    static final Path DIR = Path.of("src/test/resources/diffusers-parity/sd3_transformer");
    static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    static double error(SD3Transformer2DModel model, String set, String outputs) throws IOException {
        SafeTensors.Contents in = SafeTensors.read(DIR.resolve("inputs.safetensors"));
        SafeTensors.Contents expected = SafeTensors.read(DIR.resolve(outputs));
        try (NDManager m = model.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            NDArray out = model.forward(in.tensor(set + ".hidden_states").toNDArray(m),
                    in.tensor(set + ".encoder_hidden_states").toNDArray(m), in.tensor(set + ".pooled_projections").toNDArray(m),
                    in.tensor(set + ".timestep").toNDArray(m));
            double e = out.sub(expected.tensor(set + ".sample").toNDArray(m)).abs().max().getFloat();
            System.out.printf(java.util.Locale.ROOT, "sd3 parity %s (%s): max abs error %.3g%n", set, outputs, e);
            return e;
        }
    }

    @Test
    void f32AndBf16WeightsMatchDiffusers() throws IOException {
        Engines.prepareThread();
        try (SD3Transformer2DModel f32 = SD3Transformer2DModel.load(DIR, null, ParityDevice.get(), 8, 12);
             SD3Transformer2DModel bf16 = SD3Transformer2DModel.load(DIR, "bf16", ParityDevice.get(), 8, 12)) {
            for (String set : new String[] {"set0", "set1"}) {
                assertTrue(error(f32, set, "outputs.safetensors") < TOLERANCE, set);
                assertTrue(error(bf16, set, "outputs_bf16weights.safetensors") < TOLERANCE, set + " bf16");
            }
            assertTrue(f32.linears().containsKey("transformer_blocks.0.attn2.to_out.0"));
            assertTrue(!f32.linears().containsKey("transformer_blocks.1.attn.to_add_out"), "the last block has none");
        }
    }

    @Test
    void fp16ComputeStaysWithinItsStatedTolerance() throws IOException {
        Engines.prepareThread();
        try (SD3Transformer2DModel model = SD3Transformer2DModel.load(DIR, null, ParityDevice.get(), 8, 12,
                ai.djl.ndarray.types.DataType.FLOAT16)) {
            for (String set : new String[] {"set0", "set1"}) {
                double e = error(model, set, "outputs.safetensors");
                assertTrue(e < FluxParityTest.FP16_TOLERANCE, set + " fp16: max abs error " + e);
            }
        }
    }

    @Test
    void theFixtureLoraMatchesUnmergedAndMerged() throws IOException {
        Engines.prepareThread();
        try (SD3Transformer2DModel model = SD3Transformer2DModel.load(DIR, null, ParityDevice.get(), 8, 12)) {
            LoraFiles.load(Map.of("transformer", model), DIR.resolve("pytorch_lora_weights.safetensors"), "fixture");
            Lora lora = Lora.of(model);
            lora.activate("fixture");
            for (String set : new String[] {"set0", "set1"}) {
                assertTrue(error(model, set, "outputs_lora.safetensors") < TOLERANCE, set + " unmerged");
            }
            lora.merge();
            assertTrue(error(model, "set0", "outputs_lora.safetensors") < TOLERANCE, "merged");
        }
    }

    @Test
    void asAFlowModelItTakesSigmaAndRefusesGuidance() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents in = SafeTensors.read(DIR.resolve("inputs.safetensors"));
        SafeTensors.Contents expected = SafeTensors.read(DIR.resolve("outputs.safetensors"));
        try (SD3Transformer2DModel model = SD3Transformer2DModel.load(DIR, null, ParityDevice.get(), 12, 8);
             NDManager m = model.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            Conditioning c = Conditioning.of(java.util.List.of("a", "b"), Map.of(
                    SD3Transformer2DModel.TEXT, in.tensor("set1.encoder_hidden_states").toNDArray(m),
                    SD3Transformer2DModel.POOLED, in.tensor("set1.pooled_projections").toNDArray(m)));
            NDArray sigma = in.tensor("set1.timestep").toNDArray(m).div(1000f);
            NDArray v = model.velocity(in.tensor("set1.hidden_states").toNDArray(m), sigma, c);
            double e = v.sub(expected.tensor("set1.sample").toNDArray(m)).abs().max().getFloat();
            assertTrue(e < TOLERANCE, "sigma = timestep / 1000: max abs error " + e);
            var guided = c.withGuidance(3.5, m);
            IllegalArgumentException g = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> model.velocity(in.tensor("set1.hidden_states").toNDArray(m), sigma, guided));
            assertTrue(g.getMessage().contains("no guidance input"), g.getMessage());
        }
    }

    @Test
    void anUnknownQkNormIsNamed() throws IOException {
        Path odd = tmp.resolve("odd");
        Files.createDirectories(odd);
        Files.copy(DIR.resolve("diffusion_pytorch_model.safetensors"), odd.resolve("diffusion_pytorch_model.safetensors"));
        Files.writeString(odd.resolve("config.json"), Files.readString(DIR.resolve("config.json"))
                .replace("\"qk_norm\": \"rms_norm\"", "\"qk_norm\": \"layer_norm_across_heads\""));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SD3Transformer2DModel.load(odd, null, ParityDevice.get(), 8, 12));
        assertTrue(e.getMessage().contains("qk_norm") && e.getMessage().contains("layer_norm_across_heads"), e.getMessage());
        IllegalArgumentException size = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SD3Transformer2DModel.load(DIR, null, ParityDevice.get(), 64, 12));
        assertTrue(size.getMessage().contains("pos_embed_max_size"), size.getMessage());
    }
}
