package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.flowlab.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flowlab model forward | info} on the tiny diffusers Flux fixture (lib's test resources). */
class ModelCommandTest {
    static final Path FLUX = Path.of("..", "lib", "src", "test", "resources", "diffusers-parity", "flux_transformer");

    @TempDir
    Path dir;

    @Test
    void forwardWritesWhatDiffusersComputed() throws Exception {
        for (String[] c : new String[][] {{"set1", null, "outputs.safetensors", "fp32"},
                {"set0", "bf16", "outputs_bf16weights.safetensors", "fp32"}, {"set1", null, "outputs.safetensors", "fp16"}}) {
            Path out = dir.resolve(c[0] + ".safetensors");
            var args = new java.util.ArrayList<>(java.util.List.of("model", "forward", "--model", FLUX.toString(), "--inputs",
                    FLUX.resolve("inputs.safetensors").toString(), "--set", c[0], "--out", out.toString()));
            if (c[1] != null) {
                args.addAll(java.util.List.of("--variant", c[1]));
            }
            args.addAll(java.util.List.of("--dtype", c[3]));
            var r = ScheduleCommandTest.run(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r.err());
            float[] got = SafeTensors.read(out).tensor("sample").data();
            float[] want = SafeTensors.read(FLUX.resolve(c[2])).tensor(c[0] + ".sample").data();
            double worst = 0;
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - want[i]));
            }
            assertTrue(worst < (c[3].equals("fp16") ? 2e-2 : 1e-4), c[0] + " " + c[1] + " " + c[3] + ": max abs error " + worst);
        }
        var lora = ScheduleCommandTest.run("model", "forward", "--model", FLUX.toString(), "--inputs",
                FLUX.resolve("inputs.safetensors").toString(), "--set", "set0", "--lora",
                FLUX.resolve("pytorch_lora_weights.safetensors").toString(), "--out", dir.resolve("lora.safetensors").toString());
        assertEquals(0, lora.exitCode(), lora.err());
        float[] got = SafeTensors.read(dir.resolve("lora.safetensors")).tensor("sample").data();
        float[] want = SafeTensors.read(FLUX.resolve("outputs_lora.safetensors")).tensor("set0.sample").data();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4, "with the fixture's LoRA, element " + i);
        }
    }

    @Test
    void forwardKnowsSd3Too() throws Exception {
        Path sd3 = FLUX.resolveSibling("sd3_transformer");
        Path out = dir.resolve("sd3.safetensors");
        var r = ScheduleCommandTest.run("model", "forward", "--model", sd3.toString(), "--inputs",
                sd3.resolve("inputs.safetensors").toString(), "--set", "set1", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        float[] got = SafeTensors.read(out).tensor("sample").data();
        float[] want = SafeTensors.read(sd3.resolve("outputs.safetensors")).tensor("set1.sample").data();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4, "element " + i);
        }
    }

    @Test
    void forwardEncodesAndDecodesWithAVae() throws Exception {
        Path vae = FLUX.resolveSibling("vae_kl_16ch");
        Path out = dir.resolve("vae.safetensors");
        var r = ScheduleCommandTest.run("model", "forward", "--model", vae.toString(), "--inputs",
                vae.resolve("inputs.safetensors").toString(), "--set", "set0", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        var got = SafeTensors.read(out);
        var want = SafeTensors.read(vae.resolve("outputs.safetensors"));
        for (String k : new String[] {"latent_dist.mean", "latent_dist.logvar", "decoded"}) {
            float[] g = got.tensor(k).data();
            float[] w = want.tensor("set0." + k).data();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], g[i], 1e-4, k + " element " + i);
            }
        }
    }

    @Test
    void forwardRunsTheTextEncoders() throws Exception {
        for (String[] c : new String[][] {{"clip_text_model", "pooler_output"}, {"clip_text_model_with_projection", "text_embeds"},
                {"t5_encoder_model", "last_hidden_state"}}) {
            Path enc = FLUX.resolveSibling(c[0]);
            Path out = dir.resolve(c[0] + ".safetensors");
            var r = ScheduleCommandTest.run("model", "forward", "--model", enc.toString(), "--inputs",
                    enc.resolve("inputs.safetensors").toString(), "--set", "set1", "--out", out.toString());
            assertEquals(0, r.exitCode(), r.err());
            float[] g = SafeTensors.read(out).tensor(c[1]).data();
            float[] w = SafeTensors.read(enc.resolve("outputs.safetensors")).tensor("set1." + c[1]).data();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], g[i], 1e-4, c[0] + " " + c[1] + " element " + i);
            }
        }
    }

    @Test
    void infoSizesTheModelFromItsHeaders() {
        var r = ScheduleCommandTest.run("model", "info", FLUX.toString(), "--rank", "4", "--resolution", "128");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("FluxTransformer2DModel") && r.out().contains("78,544"), r.out());
        // Glance-Flux targets: to_q, to_k, to_v, to_out.0 of the double block, to_q/k/v of the single one
        assertTrue(r.out().contains("on 7 Linears"), r.out());
        assertTrue(r.out().contains("128 px: 64 image + 512 text tokens"), r.out());
        var missing = ScheduleCommandTest.run("model", "info", dir.resolve("nowhere").toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("nowhere"), missing.err());
        var set = ScheduleCommandTest.run("model", "forward", "--model", FLUX.toString(), "--inputs",
                FLUX.resolve("inputs.safetensors").toString(), "--set", "set7", "--out", dir.resolve("x.safetensors").toString());
        assertEquals(2, set.exitCode());
        assertTrue(set.err().contains("set7"), set.err());
    }
}
