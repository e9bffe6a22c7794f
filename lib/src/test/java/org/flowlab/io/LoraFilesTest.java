package org.flowlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flowlab.lora.Lora;
import org.flowlab.lora.LoraAdapter;
import org.flowlab.lora.LoraConfig;
import org.flowlab.lora.TargetSelector;
import org.flowlab.nn.DiTConfig;
import org.flowlab.nn.Engines;
import org.flowlab.nn.Parameter;
import org.flowlab.nn.ToyDiT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraFilesTest {
    @TempDir
    Path dir;

    @Test
    void exportFollowsPeftAndImportRestoresTheValues() throws IOException {
        Engines.prepareThread();
        try (ToyDiT model = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 1); ToyDiT other = new ToyDiT(DiTConfig.tiny(), Device.cpu(), 2)) {
            LoraAdapter a = Lora.of(model).add(new LoraConfig("slow", 4, 16, TargetSelector.suffix("to_q", "proj_out")), 5);
            for (Parameter p : a.parameters().all()) {
                p.copyFrom(p.array().add(0.25f));
            }
            Path f = dir.resolve("slow.safetensors");
            LoraFiles.export(a, f, Map.of("flowlab.steps", "10"));

            SafeTensors.Contents c = SafeTensors.read(f);
            assertArrayEquals(new long[] {4, 16}, c.tensor("transformer.blocks.0.attn.to_q.lora_A.weight").shape(), "A is (r, in)");
            assertArrayEquals(new long[] {48, 4}, c.tensor("transformer.proj_out.lora_B.weight").shape(), "B is (out, r)");
            JsonObject peft = JsonParser.parseString(c.metadata().get("lora_adapter_metadata")).getAsJsonObject();
            assertEquals(4, peft.get("r").getAsInt());
            assertEquals(16.0, peft.get("lora_alpha").getAsDouble());
            assertEquals("10", c.metadata().get("flowlab.steps"));
            assertEquals(a.parameters().size(), c.tensors().size());

            LoraAdapter back = LoraFiles.load(Lora.of(other), f, "imported");
            assertEquals(4, back.rank());
            assertEquals(16.0, back.alpha());
            assertEquals(a.modules(), back.modules());
            for (Parameter p : a.parameters().all()) {
                assertArrayEquals(p.array().toFloatArray(), back.parameters().get(p.name()).array().toFloatArray(), 0f);
            }
            // a file for another architecture is refused and leaves nothing behind
            LoraAdapter wrong = Lora.of(model).add(new LoraConfig("wide", 2, 2, TargetSelector.exact("blocks.0.attn.to_q")), 1);
            Path g = dir.resolve("wrong.safetensors");
            LoraFiles.export(wrong, g, Map.of());
            try (ToyDiT big = new ToyDiT(DiTConfig.tiny().withSize(32, 1, 2), Device.cpu(), 3)) {
                assertThrows(IllegalArgumentException.class, () -> LoraFiles.load(Lora.of(big), g, "x"));
                assertEquals(List.of(), Lora.of(big).adapters());
            }
        }
    }
}
