package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.lora.Lora;
import org.flowlab.model.Conditioning;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flowlab's Flux transformer against diffusers' own outputs on the tiny random fixture
 * (src/test/resources/diffusers-parity/README.md): both input sets, F32 and BF16 weight files, with and without the
 * fixture's LoRA, within 1e-4 max abs.
 */
class FluxParityTest {
    static final Path DIR = Path.of("src/test/resources/diffusers-parity/flux_transformer");
    static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    static SafeTensors.Contents read(String file) throws IOException {
        return SafeTensors.read(DIR.resolve(file));
    }

    static float[][] rows(Tensor t) {
        int n = (int) t.shape()[0];
        int w = (int) t.shape()[1];
        float[][] out = new float[n][w];
        for (int i = 0; i < n; i++) {
            System.arraycopy(t.data(), i * w, out[i], 0, w);
        }
        return out;
    }

    /** max |flowlab - diffusers| of the packed sample for one input set. */
    static double error(FluxTransformer2DModel model, String set, SafeTensors.Contents expected) throws IOException {
        SafeTensors.Contents in = read("inputs.safetensors");
        try (NDManager m = model.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            NDArray out = model.forward(in.tensor(set + ".hidden_states").toNDArray(m),
                    in.tensor(set + ".encoder_hidden_states").toNDArray(m), in.tensor(set + ".pooled_projections").toNDArray(m),
                    in.tensor(set + ".timestep").toNDArray(m), rows(in.tensor(set + ".img_ids")),
                    rows(in.tensor(set + ".txt_ids")), in.tensor(set + ".guidance").toNDArray(m));
            double e = out.sub(expected.tensor(set + ".sample").toNDArray(m)).abs().max().getFloat();
            System.out.printf(java.util.Locale.ROOT, "flux parity %s: max abs error %.3g%n", set, e);
            return e;
        }
    }

    @Test
    void aRandomModelFromTheConfigHasTheCheckpointsLayout() throws IOException {
        Engines.prepareThread();
        var config = com.google.gson.JsonParser.parseString(Files.readString(DIR.resolve("config.json"))).getAsJsonObject();
        try (FluxTransformer2DModel loaded = FluxTransformer2DModel.load(DIR, null, ParityDevice.get(), 8, 12);
             FluxTransformer2DModel random = FluxTransformer2DModel.random(config, ParityDevice.get(), 8, 12,
                     ai.djl.ndarray.types.DataType.FLOAT32)) {
            assertEquals(loaded.describe(), random.describe());
            for (var p : loaded.parameters().all()) {
                assertEquals(p.shape(), random.parameters().get(p.name()).shape(), p.name());
            }
            assertEquals(1f, random.parameters().get("transformer_blocks.0.attn.norm_q.weight").array().min().getFloat());
            float std = random.parameters().get("transformer_blocks.0.norm1.linear.weight").array().square().mean()
                    .sqrt().getFloat();
            assertEquals(0.02, std, 0.002, "a Linear inside a norm module is drawn, not set to 1");
        }
    }

    @Test
    void f32WeightsMatchDiffusersOnBothInputSets() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents expected = read("outputs.safetensors");
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(DIR, null, ParityDevice.get(), 8, 12)) {
            for (String set : new String[] {"set0", "set1"}) {
                double e = error(model, set, expected);
                assertTrue(e < TOLERANCE, set + ": max abs error " + e);
            }
            // 78,544 = the sum of the fixture file's tensor sizes
            assertEquals("FluxTransformer2DModel 1 double + 1 single blocks, width 32, 2 heads, 78,544 parameters, cpu()",
                    model.describe());
        }
    }

    @Test
    void bf16WeightsMatchDiffusersUpcastBf16Run() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents expected = read("outputs_bf16weights.safetensors");
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(DIR, "bf16", ParityDevice.get(), 8, 12)) {
            for (String set : new String[] {"set0", "set1"}) {
                double e = error(model, set, expected);
                assertTrue(e < TOLERANCE, set + ": max abs error " + e);
            }
        }
    }

    /** fp16 compute of the frozen base (LoRA float32): within 2e-2 of diffusers' fp32 outputs (measured: Flux 4e-3, SD3 6e-3). */
    @Test
    void fp16ComputeStaysWithinItsStatedTolerance() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents expected = read("outputs.safetensors");
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(DIR, null, ParityDevice.get(), 8, 12,
                ai.djl.ndarray.types.DataType.FLOAT16)) {
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT16, model.dtype());
            for (String set : new String[] {"set0", "set1"}) {
                double e = error(model, set, expected);
                assertTrue(e < FP16_TOLERANCE, set + " fp16: max abs error " + e);
            }
            LoraFiles.load(Map.of("transformer", model), DIR.resolve("pytorch_lora_weights.safetensors"), "fixture");
            Lora.of(model).activate("fixture");
            double e = error(model, "set0", read("outputs_lora.safetensors"));
            assertTrue(e < FP16_TOLERANCE, "fp16 base with a float32 LoRA: max abs error " + e);
        }
    }

    static final double FP16_TOLERANCE = 2e-2;

    @Test
    void theFixtureLoraMatchesDiffusersMergedOutputsUnmergedAndMerged() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents expected = read("outputs_lora.safetensors");
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(DIR, null, ParityDevice.get(), 8, 12)) {
            LoraFiles.load(Map.of("transformer", model), DIR.resolve("pytorch_lora_weights.safetensors"), "fixture");
            Lora lora = Lora.of(model);
            lora.activate("fixture");
            for (String set : new String[] {"set0", "set1"}) {
                double e = error(model, set, expected);
                assertTrue(e < TOLERANCE, set + " unmerged: max abs error " + e);
            }
            lora.merge();
            for (String set : new String[] {"set0", "set1"}) {
                double e = error(model, set, expected);
                assertTrue(e < TOLERANCE, set + " merged: max abs error " + e);
            }
        }
    }

    @Test
    void asAFlowModelOnUnpackedLatents() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents in = read("inputs.safetensors");
        SafeTensors.Contents expected = read("outputs.safetensors");
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(DIR, null, ParityDevice.get(), 12, 8);
             NDManager m = model.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            assertArrayEquals(in.tensor("set1.img_ids").data(), flat(FluxTransformer2DModel.imageIds(12, 8)),
                    "img_ids as the pipeline prepares them");
            NDArray latents = in.tensor("set1.latents_unpacked").toNDArray(m);
            assertArrayEquals(in.tensor("set1.hidden_states").data(), FluxTransformer2DModel.pack(latents).toFloatArray(),
                    "2x2 packing as the pipeline packs");
            Conditioning c = Conditioning.of(java.util.List.of("a", "b"), Map.of(
                    FluxTransformer2DModel.TEXT, in.tensor("set1.encoder_hidden_states").toNDArray(m),
                    FluxTransformer2DModel.POOLED, in.tensor("set1.pooled_projections").toNDArray(m)))
                    .withGuidance(in.tensor("set1.guidance").toNDArray(m));
            NDArray v = model.velocity(latents, in.tensor("set1.timestep").toNDArray(m), c);
            double e = v.sub(expected.tensor("set1.sample_unpacked").toNDArray(m)).abs().max().getFloat();
            assertTrue(e < TOLERANCE, "unpacked: max abs error " + e);
            assertTrue(model.linears().containsKey("single_transformer_blocks.0.proj_mlp"));
            assertTrue(model.linears().containsKey("transformer_blocks.0.attn.to_out.0"));
        }
    }

    static float[] flat(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * rows[0].length, rows[0].length);
        }
        return out;
    }

    @Test
    void badFoldersAreNamed() throws IOException {
        Engines.prepareThread();
        // a truncated weights file
        Path cut = copyFixture("cut");
        byte[] w = Files.readAllBytes(cut.resolve("diffusion_pytorch_model.safetensors"));
        Files.write(cut.resolve("diffusion_pytorch_model.safetensors"), java.util.Arrays.copyOf(w, w.length - 100));
        IllegalArgumentException trunc = assertThrows(IllegalArgumentException.class,
                () -> FluxTransformer2DModel.load(cut, null, ParityDevice.get(), 8, 12));
        assertTrue(trunc.getMessage().contains("diffusion_pytorch_model.safetensors") && trunc.getMessage().contains("truncated"),
                trunc.getMessage());
        // an unsupported config value
        Path odd = copyFixture("odd");
        Files.writeString(odd.resolve("config.json"), Files.readString(odd.resolve("config.json"))
                .replace("\"axes_dims_rope\": [\n    4,\n    4,\n    8\n  ]", "\"axes_dims_rope\": [4, 4, 6]"));
        IllegalArgumentException cfg = assertThrows(IllegalArgumentException.class,
                () -> FluxTransformer2DModel.load(odd, null, ParityDevice.get(), 8, 12));
        assertTrue(cfg.getMessage().contains("axes_dims_rope"), cfg.getMessage());
        // a tensor of the wrong shape: the config says more heads than the weights hold
        Path wide = copyFixture("wide");
        Files.writeString(wide.resolve("config.json"), Files.readString(wide.resolve("config.json"))
                .replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 3"));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> FluxTransformer2DModel.load(wide, null, ParityDevice.get(), 8, 12));
        assertTrue(shape.getMessage().contains("is [32, 256] but config.json makes it [48, 256]"), shape.getMessage());
        // a missing shard named by an index
        Path sharded = copyFixture("sharded");
        Files.delete(sharded.resolve("diffusion_pytorch_model.safetensors"));
        Files.writeString(sharded.resolve("diffusion_pytorch_model.safetensors.index.json"),
                "{\"metadata\": {}, \"weight_map\": {\"x_embedder.weight\": \"diffusion_pytorch_model-00001-of-00002.safetensors\"}}");
        IllegalArgumentException shard = assertThrows(IllegalArgumentException.class,
                () -> FluxTransformer2DModel.load(sharded, null, ParityDevice.get(), 8, 12));
        assertTrue(shard.getMessage().contains("diffusion_pytorch_model-00001-of-00002.safetensors"), shard.getMessage());
        // no such variant
        IllegalArgumentException variant = assertThrows(IllegalArgumentException.class,
                () -> FluxTransformer2DModel.load(DIR, "fp16", ParityDevice.get(), 8, 12));
        assertTrue(variant.getMessage().contains("'fp16'"), variant.getMessage());
    }

    @Test
    void shardedWeightsLoadLikeOneFile() throws IOException {
        Engines.prepareThread();
        Path sharded = copyFixture("two-shards");
        SafeTensors.Contents all = SafeTensors.read(sharded.resolve("diffusion_pytorch_model.safetensors"));
        Map<String, Tensor> first = new java.util.LinkedHashMap<>();
        Map<String, Tensor> second = new java.util.LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
        int i = 0;
        for (Map.Entry<String, Tensor> e : all.tensors().entrySet()) {
            boolean one = i++ % 2 == 0;
            (one ? first : second).put(e.getKey(), e.getValue());
            index.append(i > 1 ? ", " : "").append('"').append(e.getKey()).append("\": \"diffusion_pytorch_model-0000")
                    .append(one ? 1 : 2).append("-of-00002.safetensors\"");
        }
        Files.delete(sharded.resolve("diffusion_pytorch_model.safetensors"));
        SafeTensors.write(sharded.resolve("diffusion_pytorch_model-00001-of-00002.safetensors"), first, Map.of(), org.flowlab.io.DType.F32);
        SafeTensors.write(sharded.resolve("diffusion_pytorch_model-00002-of-00002.safetensors"), second, Map.of(), org.flowlab.io.DType.F32);
        Files.writeString(sharded.resolve("diffusion_pytorch_model.safetensors.index.json"), index.append("}}").toString());
        try (FluxTransformer2DModel model = FluxTransformer2DModel.load(sharded, null, ParityDevice.get(), 8, 12)) {
            double e = error(model, "set0", read("outputs.safetensors"));
            assertTrue(e < TOLERANCE, "sharded: max abs error " + e);
        }
    }

    private Path copyFixture(String name) throws IOException {
        Path d = tmp.resolve(name);
        Files.createDirectories(d);
        for (String f : new String[] {"config.json", "diffusion_pytorch_model.safetensors"}) {
            Files.copy(DIR.resolve(f), d.resolve(f));
        }
        return d;
    }
}
