package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.flowlab.io.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end on a smoke-sized teacher (a few training steps; CI never trains the full one):
 * teacher train -> sample -> eval, glance train -> glance sample, scfm pregen -> train -> step.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineSmokeTest {
    @TempDir
    static Path dir;
    static Path teacher;

    static ScheduleCommandTest.Result run(String... args) {
        return ScheduleCommandTest.run(args);
    }

    @BeforeAll
    static void trainSmokeTeacher() {
        teacher = dir.resolve("teacher.safetensors");
        var r = run("teacher", "train", "--steps", "3", "--batch", "4", "--checkpoint-every", "2", "--out", teacher.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.exists(teacher));
    }

    @Test
    @Order(1)
    void teacherFileCarriesItsProvenance() throws Exception {
        var meta = SafeTensors.read(teacher).metadata();
        assertEquals("./flowlab teacher train --steps 3 --batch 4 --seed 2026", meta.get("flowlab.command"));
        assertEquals("ToyModel", meta.get("flowlab.model"));
        assertTrue(SafeTensors.read(teacher).tensors().keySet().stream()
                .allMatch(k -> k.startsWith("transformer.") || k.startsWith("text_encoder.")));
        // resumable: the same command again finds the finished checkpoint and does no more steps
        var again = run("teacher", "train", "--steps", "3", "--batch", "4", "--out", teacher.toString());
        assertEquals(0, again.exitCode(), again.err());
    }

    @Test
    @Order(2)
    void sampleWritesPngsManifestAndGridAndEvalReadsThem() throws Exception {
        Path out = dir.resolve("samples");
        var r = run("sample", "--model", teacher.toString(), "--prompt",
                "a large red circle at the top left on a white background", "--prompt",
                "a small blue circle at the center on a black background", "--seeds", "0-2", "--steps", "3", "--out",
                out.toString());
        assertEquals(0, r.exitCode(), r.err());
        var manifest = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonArray();
        assertEquals(6, manifest.size());
        var first = manifest.get(0).getAsJsonObject();
        for (String key : new String[] {"prompt", "seed", "steps", "nfe", "file", "seconds"}) {
            assertTrue(first.has(key), key);
        }
        assertEquals(3, first.get("nfe").getAsInt());
        assertEquals(1.0, first.get("cfg").getAsDouble(), "the toy's default: no guidance");
        assertTrue(Files.exists(out.resolve(first.get("file").getAsString())));
        Path guided = dir.resolve("guided");
        var g = run("sample", "--model", teacher.toString(), "--prompt", "a red circle", "--seeds", "0", "--steps", "3",
                "--cfg", "3", "--out", guided.toString());
        assertEquals(0, g.exitCode(), g.err());
        var guidedEntry = JsonParser.parseString(Files.readString(guided.resolve("manifest.json"))).getAsJsonArray()
                .get(0).getAsJsonObject();
        assertEquals(3.0, guidedEntry.get("cfg").getAsDouble(), "--cfg reaches the plan");
        assertEquals(6, guidedEntry.get("nfe").getAsInt(), "a guided step evaluates the model twice");
        assertTrue(Files.exists(out.resolve("grid.png")));

        var e = run("eval", "--model", teacher.toString(), "--samples", out.toString());
        assertEquals(0, e.exitCode(), e.err());
        assertTrue(e.out().contains("held-in (3)") && e.out().contains("held-out (3)"), e.out());
    }

    /** Samples made the way the reference is made score only PNG rounding: fidelity is measured like for like. */
    @Test
    @Order(2)
    void evalOfReferenceSamplesSeesOnlyRounding() throws Exception {
        Path out = dir.resolve("reference-samples");
        var r = run("sample", "--model", teacher.toString(), "--prompt",
                "a large red circle at the top left on a white background", "--seeds", "0-1", "--steps", "32", "--out",
                out.toString());
        assertEquals(0, r.exitCode(), r.err());
        var e = run("eval", "--model", teacher.toString(), "--samples", out.toString());
        assertEquals(0, e.exitCode(), e.err());
        String row = e.out().lines().filter(l -> l.contains("held-in (2)")).findFirst().orElseThrow();
        double psnr = Double.parseDouble(row.split("\\|")[9].trim());
        // 8-bit rounding alone: uniform error of +-1/255 in [-1, 1] units is ~59 dB
        assertTrue(psnr > 50, row);
    }

    @Test
    @Order(3)
    void glanceTrainsAndSamplesTenSteps() throws Exception {
        Path out = dir.resolve("glance");
        var t = run("glance", "train", "--model", teacher.toString(), "--toy-index", "4", "--steps", "3", "--out", out.toString());
        assertEquals(0, t.exitCode(), t.err());
        for (String f : new String[] {"slow.safetensors", "fast.safetensors", "loss.csv", "glance.json"}) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertTrue(SafeTensors.read(out.resolve("slow.safetensors")).metadata().containsKey("lora_adapter_metadata"));
        var losses = JsonParser.parseString(Files.readString(out.resolve("glance.json"))).getAsJsonObject()
                .getAsJsonArray("loss_at_timesteps");
        assertEquals(10, losses.size(), "base and LoRA loss at each of the 5 + 5 timesteps");
        assertTrue(losses.get(0).getAsJsonObject().get("lora").getAsDouble() > 0);
        Path samples = dir.resolve("glance-samples");
        var s = run("glance", "sample", "--model", teacher.toString(), "--lora", out.toString(), "--prompt",
                "a large red circle at the top left on a white background", "--seeds", "0", "--trace", "--out",
                samples.toString());
        assertEquals(0, s.exitCode(), s.err());
        String[] lines = s.out().strip().split("\n");
        assertEquals(10, lines.length, s.out());
        var step5 = JsonParser.parseString(lines[5]).getAsJsonObject();
        assertEquals("fast", step5.get("adapter").getAsString());
        assertEquals(0.886705295342665, step5.get("sigma").getAsDouble(), 1e-9);
        assertEquals(0.0, JsonParser.parseString(lines[9]).getAsJsonObject().get("sigma_next").getAsDouble(), 0);
    }

    @Test
    @Order(4)
    void glanceRejectsBadInputBeforeTraining() {
        var bad = run("glance", "train", "--model", teacher.toString(), "--toy-index", "1", "--slow-list", "1000,abc",
                "--out", dir.resolve("x").toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("'abc'"), bad.err());
        var range = run("glance", "train", "--model", teacher.toString(), "--toy-index", "1", "--fast-list", "500,1500",
                "--out", dir.resolve("x").toString());
        assertEquals(2, range.exitCode());
        assertTrue(range.err().contains("1500"), range.err());
        var image = run("glance", "train", "--image", dir.resolve("missing.png").toString(), "--caption",
                "a large red circle at the top left on a white background", "--out", dir.resolve("x").toString());
        assertTrue(image.exitCode() != 0 && image.err().contains("missing.png"), image.err());
        var caption = run("glance", "train", "--image", dir.resolve("missing.png").toString(), "--caption",
                "a photo of a cat", "--out", dir.resolve("x").toString());
        assertEquals(2, caption.exitCode());
        assertTrue(caption.err().contains("'photo'"), caption.err());
    }

    @Test
    @Order(4)
    void badModelInputIsOneLineExitTwoAndWritesNothing() throws Exception {
        Path out = dir.resolve("never");
        var guidance = run("sample", "--model", teacher.toString(), "--prompt", "a red circle", "--guidance", "3.5",
                "--out", out.toString());
        assertEquals(2, guidance.exitCode(), guidance.err());
        assertTrue(guidance.err().contains("no guidance input"), guidance.err());
        assertEquals(1, guidance.err().strip().lines().count(), guidance.err());
        var cfg = run("report", "--model", teacher.toString(), "--quick", "--cfg", "-2");
        assertEquals(2, cfg.exitCode(), cfg.err());
        assertTrue(cfg.err().contains("--cfg -2.0"), cfg.err());
        assertEquals(1, cfg.err().strip().lines().count(), cfg.err());

        Path lora = dir.resolve("foreign.safetensors");
        java.util.Map<String, org.flowlab.io.Tensor> t = new java.util.LinkedHashMap<>();
        t.put("transformer.single_transformer_blocks.0.proj_mlp.lora_A.weight", new org.flowlab.io.Tensor(new long[] {2, 4}, new float[8]));
        t.put("transformer.single_transformer_blocks.0.proj_mlp.lora_B.weight", new org.flowlab.io.Tensor(new long[] {4, 2}, new float[8]));
        SafeTensors.write(lora, t, java.util.Map.of(), org.flowlab.io.DType.F32);
        var foreign = run("sample", "--model", teacher.toString(), "--prompt", "a red circle", "--lora", lora.toString(),
                "--out", out.toString());
        assertEquals(2, foreign.exitCode(), foreign.err());
        assertTrue(foreign.err().contains("'transformer.single_transformer_blocks.0.proj_mlp'"), foreign.err());
        assertEquals(1, foreign.err().strip().lines().count(), foreign.err());
        assertTrue(!Files.exists(out), "nothing written");
    }

    /** The shipped student to kohya and back: same tensors, and the CLI samples with either file alike. */
    @Test
    @Order(4)
    void loraConvertsToKohyaAndBack() throws Exception {
        Path shipped = Path.of("..", "models", "scfm-toy.safetensors");
        Path kohya = dir.resolve("scfm-kohya.safetensors");
        Path back = dir.resolve("scfm-peft.safetensors");
        var k = run("lora", "convert", shipped.toString(), kohya.toString(), "--to", "kohya");
        assertEquals(0, k.exitCode(), k.err());
        var p = run("lora", "convert", kohya.toString(), back.toString(), "--to", "peft");
        assertEquals(0, p.exitCode(), p.err());
        var original = SafeTensors.read(shipped);
        var kohyaFile = SafeTensors.read(kohya);
        var roundTrip = SafeTensors.read(back);
        assertTrue(kohyaFile.tensors().containsKey("lora_unet_transformer_blocks_0_attn_to_out_0.lora_up.weight"));
        assertEquals(original.tensors().keySet(), roundTrip.tensors().keySet());
        for (String key : original.tensors().keySet()) {
            assertEquals(original.tensor(key), roundTrip.tensor(key), key);
        }
        assertEquals("3", roundTrip.metadata().get("flowlab.recommended.steps"), "Flowlab's metadata travels along");
        var bad = run("lora", "convert", shipped.toString(), dir.resolve("x.safetensors").toString(), "--to", "comfy");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("comfy"), bad.err());
    }

    @Test
    @Order(5)
    void scfmPregenTrainAndStep() throws Exception {
        Path cache = dir.resolve("cache");
        var p = run("scfm", "pregen", "--model", teacher.toString(), "--prompts", "3", "--per-prompt", "1", "--steps", "4",
                "--out", cache.toString());
        assertEquals(0, p.exitCode(), p.err());
        Path out = dir.resolve("scfm");
        var t = run("scfm", "train", "--model", teacher.toString(), "--data", cache.toString(), "--steps", "3", "--batch",
                "2", "--rank", "2", "--out", out.toString());
        assertEquals(0, t.exitCode(), t.err());
        var meta = SafeTensors.read(out.resolve("student.safetensors")).metadata();
        assertEquals("3", meta.get("flowlab.recommended.steps"));
        assertTrue(Files.readString(out.resolve("log.csv")).lines().count() == 4, "header + 3 steps");

        Path trace = dir.resolve("trace.safetensors");
        var s = run("scfm", "step", "--model", teacher.toString(), "--data", cache.toString(), "--batch", "4", "--rank", "2",
                "--trace", trace.toString());
        assertEquals(0, s.exitCode(), s.err());
        var c = SafeTensors.read(trace);
        for (String k : new String[] {"x_t", "v1", "x_mid", "v2", "x_end", "target", "pred"}) {
            assertEquals(4, c.tensor(k).shape().length, k);
            assertEquals(4, c.tensor(k).shape()[0], k);
        }
        var samples = JsonParser.parseString(c.metadata().get("samples")).getAsJsonArray();
        assertEquals(4, samples.size());
        assertTrue(samples.get(0).getAsJsonObject().has("d0"));

        var bad = run("scfm", "train", "--model", teacher.toString(), "--data", cache.toString(), "--t-skip", "3", "--out",
                out.toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("t_skip 3"), bad.err());
        var ratio = run("scfm", "train", "--data", cache.toString(), "--teacher-ratio", "1.5", "--out", out.toString());
        assertEquals(2, ratio.exitCode());
        assertTrue(ratio.err().contains("teacher_ratio 1.5"), ratio.err());
        var phase = run("scfm", "train", "--data", cache.toString(), "--phase", "0.4,0.6", "--out", out.toString());
        assertEquals(2, phase.exitCode());
        assertTrue(phase.err().contains("0.4 .. 0.6"), phase.err());
        var slowPlan = run("scfm", "plan", "--model", teacher.toString(), "--samples", "64", "--phase", "1,0.6");
        assertEquals(0, slowPlan.exitCode(), slowPlan.err());
        for (String line : slowPlan.out().strip().split("\n")) {
            var d = JsonParser.parseString(line).getAsJsonObject();
            double end = d.get("sigma").getAsDouble() - d.get("d0").getAsDouble() - d.get("d1").getAsDouble();
            assertTrue(end >= 0.6 - 1e-9, "a slow-phase segment ends at sigma " + end + ": " + line);
        }
        // a cache whose latent shape is not the model's: one line, exit 2, nothing written
        Path other = dir.resolve("other-shape");
        Files.createDirectories(other);
        String manifest = Files.readString(cache.resolve("manifest.json"));
        Files.writeString(other.resolve("manifest.json"), manifest.replaceFirst(
                "\"latent_shape\": \\[\\s*3,\\s*32,\\s*32\\s*\\]", "\"latent_shape\": [4, 16, 16]"));
        try (var files = Files.list(cache)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".safetensors")).toList()) {
                Files.copy(f, other.resolve(f.getFileName()));
            }
        }
        Path none = dir.resolve("scfm-other");
        var shape = run("scfm", "train", "--model", teacher.toString(), "--data", other.toString(), "--out", none.toString());
        assertEquals(2, shape.exitCode(), shape.err());
        assertTrue(shape.err().contains("4x16x16") && shape.err().contains("3x32x32"), shape.err());
        assertEquals(1, shape.err().strip().lines().count(), shape.err());
        assertTrue(!Files.exists(none), "nothing written");
        Files.delete(cache.resolve("0001-0.safetensors"));
        var missing = run("scfm", "train", "--data", cache.toString(), "--out", out.toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("0001-0.safetensors"), missing.err());

    }
}
