package org.flowlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.Parameter;
import org.flowlab.toy.DiTConfig;
import org.flowlab.toy.ToyModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraFilesTest {
    @TempDir
    Path dir;

    static LoraAdapter trained(Lora host, String name, int rank, double alpha, TargetSelector targets, float shift) {
        LoraAdapter a = host.add(new LoraConfig(name, rank, alpha, targets), 5);
        for (Parameter p : a.parameters().all()) {
            p.copyFrom(p.array().add(shift));
        }
        return a;
    }

    @Test
    void peftLayoutPerComponentAsDiffusersWritesIt() throws IOException {
        Engines.prepareThread();
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             DiffusionModel other = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 2)) {
            LoraAdapter t = trained(Lora.of(model.transformer()), "slow", 4, 16, TargetSelector.suffix("to_q", "proj_out"), 0.25f);
            LoraAdapter te = trained(Lora.of(model.textEncoder()), "slow", 4, 16, TargetSelector.suffix("q_proj"), -0.5f);
            Path f = dir.resolve("slow.safetensors");
            Map<String, LoraAdapter> parts = new LinkedHashMap<>();
            parts.put("transformer", t);
            parts.put("text_encoder", te);
            LoraFiles.export(parts, Map.of(), f, Map.of("flowlab.steps", "10"), LoraFiles.Layout.PEFT);

            SafeTensors.Contents c = SafeTensors.read(f);
            assertArrayEquals(new long[] {4, 16}, c.tensor("transformer.transformer_blocks.0.attn.to_q.lora_A.weight").shape(),
                    "A is (r, in)");
            assertArrayEquals(new long[] {48, 4}, c.tensor("transformer.proj_out.lora_B.weight").shape(), "B is (out, r)");
            assertArrayEquals(new long[] {4, 8},
                    c.tensor("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertTrue(c.tensors().keySet().stream().allMatch(k -> k.startsWith("transformer.") || k.startsWith("text_encoder.")));
            JsonObject peft = JsonParser.parseString(c.metadata().get("lora_adapter_metadata")).getAsJsonObject();
            assertEquals(4, peft.get("transformer.r").getAsInt());
            assertEquals(16.0, peft.get("transformer.lora_alpha").getAsDouble());
            assertEquals(List.of("proj_out", "transformer_blocks.0.attn.to_q"),
                    peft.getAsJsonArray("transformer.target_modules").asList().stream().map(e -> e.getAsString()).toList());
            assertEquals(4, peft.get("text_encoder.r").getAsInt());
            assertEquals("10", c.metadata().get("flowlab.steps"));

            Map<String, LoraAdapter> back = LoraFiles.load(other.components(), f, "imported");
            assertEquals(List.of("transformer", "text_encoder"), List.copyOf(back.keySet()));
            LoraAdapter bt = back.get("transformer");
            assertEquals(4, bt.rank());
            assertEquals(16.0, bt.alpha());
            assertEquals(t.modules(), bt.modules());
            for (Parameter p : t.parameters().all()) {
                assertArrayEquals(p.array().toFloatArray(), bt.parameters().get(p.name()).array().toFloatArray(), 0f);
            }
            assertEquals(te.modules(), back.get("text_encoder").modules());
        }
    }

    @Test
    void kohyaExportReadsBackToTheSameAdapter() throws IOException {
        Engines.prepareThread();
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             DiffusionModel other = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 2)) {
            LoraAdapter t = trained(Lora.of(model.transformer()), "student", 2, 6, TargetSelector.all(), 0.1f);
            Path f = dir.resolve("kohya.safetensors");
            LoraFiles.export(Map.of("transformer", t), Map.of(), f, Map.of(), LoraFiles.Layout.KOHYA);
            SafeTensors.Contents c = SafeTensors.read(f);
            assertTrue(c.tensors().containsKey("lora_unet_transformer_blocks_0_attn_to_out_0.lora_down.weight"),
                    c.tensors().keySet().toString());
            assertEquals(6f, c.tensor("lora_unet_transformer_blocks_0_ff_net_0_proj.alpha").data()[0], 0f);

            LoraFiles.LoraFile read = LoraFiles.read(f);
            assertEquals(LoraFiles.Layout.KOHYA, read.layout());
            LoraAdapter back = LoraFiles.load(other.components(), read, "k").get("transformer");
            assertEquals(t.modules(), back.modules(), "underscored kohya names map back to the dotted modules");
            assertEquals(2, back.rank());
            assertEquals(6.0, back.alpha());
            for (Parameter p : t.parameters().all()) {
                assertArrayEquals(p.array().toFloatArray(), back.parameters().get(p.name()).array().toFloatArray(), 0f, p.name());
            }
        }
    }

    @Test
    void badFilesAreNamedAndLeaveNothingBehind() throws IOException {
        Engines.prepareThread();
        try (DiffusionModel model = ToyModel.create(DiTConfig.tiny(), Device.cpu(), 1);
             DiffusionModel wide = ToyModel.create(DiTConfig.tiny().withSize(32, 1, 2), Device.cpu(), 3)) {
            // a rank or shape mismatch names the module and both shapes
            LoraAdapter small = trained(Lora.of(model.transformer()), "small", 2, 2,
                    TargetSelector.exact("transformer_blocks.0.attn.to_q"), 0f);
            Path g = dir.resolve("small.safetensors");
            LoraFiles.export(small, g, Map.of());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> LoraFiles.load(wide.components(), g, "x"));
            assertTrue(shape.getMessage().contains("transformer_blocks.0.attn.to_q") && shape.getMessage().contains("[2, 16]")
                    && shape.getMessage().contains("[2, 32]"), shape.getMessage());
            assertEquals(List.of(), Lora.of(wide.transformer()).adapters(), "nothing half-loaded");

            // a key that maps to no module is named
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("transformer.transformer_blocks.0.attn.to_q.lora_A.weight", new Tensor(new long[] {2, 16}, new float[32]));
            tensors.put("transformer.transformer_blocks.0.attn.to_q.lora_B.weight", new Tensor(new long[] {16, 2}, new float[32]));
            tensors.put("transformer.transformer_blocks.9.attn.to_q.lora_A.weight", new Tensor(new long[] {2, 16}, new float[32]));
            tensors.put("transformer.transformer_blocks.9.attn.to_q.lora_B.weight", new Tensor(new long[] {16, 2}, new float[32]));
            Path h = dir.resolve("unknown.safetensors");
            SafeTensors.write(h, tensors, Map.of(), DType.F32);
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> LoraFiles.load(model.components(), h, "u"));
            assertTrue(unknown.getMessage().contains("'transformer.transformer_blocks.9.attn.to_q'"), unknown.getMessage());
            assertFalse(Lora.of(model.transformer()).has("u"));

            // a key of neither layout is named
            Path k = dir.resolve("odd.safetensors");
            SafeTensors.write(k, Map.of("weird.key", new Tensor(new long[] {1}, new float[1])), Map.of(), DType.F32);
            SafeTensorsException odd = assertThrows(SafeTensorsException.class, () -> LoraFiles.read(k));
            assertTrue(odd.getMessage().contains("'weird.key'"), odd.getMessage());
        }
    }

    @Test
    void readsTheDiffusersFixtureLora() throws IOException {
        // written by diffusers' own save code (see src/test/resources/diffusers-parity/README.md): rank 4, alpha 8
        LoraFiles.LoraFile f = LoraFiles.read(Path.of("src/test/resources/diffusers-parity/flux_transformer/pytorch_lora_weights.safetensors"));
        assertEquals(LoraFiles.Layout.PEFT, f.layout());
        assertEquals(4, f.rank());
        assertEquals(8.0, f.alpha(), "alpha from transformer.lora_alpha, not the alpha = r fallback");
        assertTrue(f.part("transformer").modules().containsKey("transformer_blocks.0.attn.to_out.0"));
        assertEquals(17, f.part("transformer").modules().size());
    }
}
