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
        assertEquals("ToyDiT", meta.get("flowlab.model"));
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
        assertTrue(Files.exists(out.resolve(first.get("file").getAsString())));
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
        Files.delete(cache.resolve("0001-0.safetensors"));
        var missing = run("scfm", "train", "--data", cache.toString(), "--out", out.toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("0001-0.safetensors"), missing.err());
    }
}
