package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flowlab.diffusers.AutoencoderKL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code codec train} as a smoke run: a few steps of a tiny VAE, written as a folder the VAE loader reads. */
class CodecCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesAVaeFolderAndRefusesBadChannels() throws Exception {
        Path out = tmp.resolve("vae");
        var r = PipelineSmokeTest.run("codec", "train", "--steps", "3", "--batch", "2", "--channels", "8,16,16",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("trained 3 steps"), r.err());
        assertEquals(4, Files.readAllLines(out.resolve("loss.csv")).size(), "a header and 3 steps");
        try (AutoencoderKL vae = AutoencoderKL.load(out, null, Device.cpu(), 64, 64)) {
            assertArrayEquals(new long[] {4, 16, 16}, vae.latentShape());
            assertTrue(vae.scalingFactor() > 0 && Double.isFinite(vae.shiftFactor()));
        }
        var eval = PipelineSmokeTest.run("codec", "eval", "--codec", out.toString(), "--scenes", "16");
        assertEquals(0, eval.exitCode(), eval.err());
        var figures = java.util.regex.Pattern.compile("PSNR (\\S+) dB; adherence on the originals (\\S+), on the"
                + " reconstructions (\\S+)").matcher(eval.out());
        assertTrue(figures.find(), eval.out());
        assertTrue(Double.parseDouble(figures.group(2)) > 0.9, "the shipped judge reads the originals: " + eval.out());
        assertTrue(Double.parseDouble(figures.group(1)) < 30, "three steps do not make a codec: " + eval.out());
        Path never = tmp.resolve("never");
        var bad = PipelineSmokeTest.run("codec", "train", "--channels", "8,12", "--out", never.toString());
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("12"), bad.err());
        assertFalse(Files.exists(never));
    }

    /** The second world end to end as smoke runs: a VAE, a teacher on its latents, samples decoded to 64x64 PNGs. */
    @Test
    void aScenesTeacherTrainsOnTheCodecsLatentsAndSamplesThroughIt() throws Exception {
        Path vae = tmp.resolve("models/toy2-vae");
        var c = PipelineSmokeTest.run("codec", "train", "--steps", "2", "--batch", "2", "--channels", "8,16,16",
                "--out", vae.toString());
        assertEquals(0, c.exitCode(), c.err());
        Path teacher = tmp.resolve("models/toy2-teacher.safetensors");
        var t = PipelineSmokeTest.run("teacher", "train", "--world", "scenes", "--codec", vae.toString(), "--latents", "16",
                "--steps", "2", "--batch", "2", "--out", teacher.toString());
        assertEquals(0, t.exitCode(), t.err());
        var meta = org.flowlab.io.SafeTensors.read(teacher).metadata();
        assertEquals("toy2-vae", meta.get("flowlab.codec"), "the VAE beside the weights, by a relative path");
        Path samples = tmp.resolve("samples");
        var s = PipelineSmokeTest.run("sample", "--model", teacher.toString(), "--prompt",
                "a red striped circle and a blue square", "--seeds", "0", "--steps", "2", "--out", samples.toString());
        assertEquals(0, s.exitCode(), s.err());
        var png = javax.imageio.ImageIO.read(samples.resolve("000-seed0.png").toFile());
        assertEquals(64, png.getWidth(), "decoded through the VAE to the scene size");

        assertEquals("scenes", meta.get("flowlab.world"));
        Path never = tmp.resolve("never");
        var contradiction = PipelineSmokeTest.run("glance", "train", "--model", teacher.toString(), "--image",
                tmp.resolve("any.png").toString(), "--caption", "a small large circle", "--out", never.toString());
        assertEquals(2, contradiction.exitCode(), contradiction.err());
        assertTrue(contradiction.err().contains("'large'"), "the error names the word: " + contradiction.err());
        var unknown = PipelineSmokeTest.run("sample", "--model", teacher.toString(), "--prompt", "a purple circle",
                "--steps", "1", "--seeds", "0", "--out", tmp.resolve("u").toString());
        assertTrue(unknown.err().contains("'purple'"), "sampling warns, naming the word: " + unknown.err());
        assertFalse(Files.exists(never));

        Path judge = tmp.resolve("judge.safetensors");
        assertEquals(0, PipelineSmokeTest.run("classifier", "train", "--world", "scenes", "--steps", "1", "--batch", "2",
                "--out", judge.toString()).exitCode());
        var report = PipelineSmokeTest.run("report", "--model", teacher.toString(), "--classifier", judge.toString(),
                "--teacher-steps", "2", "--quick");
        assertEquals(0, report.exitCode(), report.err());
        assertTrue(report.out().contains("adherence_95") && report.out().contains("frechet_95")
                && report.out().contains("held-out"), "the second world's report, with intervals: " + report.out());

        // SCFM and Glance take their training data from the model's own world
        Path cache = tmp.resolve("cache");
        var pregen = PipelineSmokeTest.run("scfm", "pregen", "--model", teacher.toString(), "--prompts", "3",
                "--per-prompt", "1", "--steps", "2", "--out", cache.toString());
        assertEquals(0, pregen.exitCode(), pregen.err());
        assertEquals(org.flowlab.toy.scenes.SceneMetrics.heldInPrompts(3, 0),
                org.flowlab.scfm.TeacherCache.open(cache).prompts(), "held-in scene captions, not first-world ones");
        Path glance = tmp.resolve("glance");
        var g = PipelineSmokeTest.run("glance", "train", "--model", teacher.toString(), "--toy-index", "5",
                "--steps", "1", "--out", glance.toString());
        assertEquals(0, g.exitCode(), g.err());
        assertTrue(g.err().contains("'" + org.flowlab.toy.scenes.Scenes.sample(5, 0).caption() + "'"),
                "trained on the world's scene 5: " + g.err());

        var firstWorld = PipelineSmokeTest.run("teacher", "train", "--world", "shapes", "--codec", vae.toString(),
                "--out", tmp.resolve("x").toString());
        assertEquals(2, firstWorld.exitCode(), firstWorld.err());
        assertTrue(firstWorld.err().contains("--codec " + vae), firstWorld.err());
        var noCodec = PipelineSmokeTest.run("teacher", "train", "--world", "scenes", "--latents", "16",
                "--out", tmp.resolve("x").toString());
        assertEquals(2, noCodec.exitCode(), "pre-encoded latents need a codec: " + noCodec.err());
        assertTrue(noCodec.err().contains("--latents 16"), noCodec.err());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    /** Without --codec the second world's teacher works on 64x64 pixels, on fresh scenes every step. */
    @Test
    void aPixelSpaceScenesTeacherTrainsAndSamples() throws Exception {
        Path teacher = tmp.resolve("pixels.safetensors");
        var t = PipelineSmokeTest.run("teacher", "train", "--world", "scenes", "--steps", "2", "--batch", "2",
                "--width", "64", "--depth", "1", "--out", teacher.toString());
        assertEquals(0, t.exitCode(), t.err());
        var meta = org.flowlab.io.SafeTensors.read(teacher).metadata();
        assertEquals("scenes", meta.get("flowlab.world"));
        assertFalse(meta.containsKey("flowlab.codec"), "no codec: the identity on pixels");
        var config = org.flowlab.toy.DiTConfig.fromJson(meta.get("flowlab.config"));
        assertEquals(3, config.channels());
        assertEquals(List.of(64, 1, 2), List.of(config.width(), config.depth(), config.heads()), "heads of 32 channels");
        assertTrue(meta.get("flowlab.command").contains("--width 64 --depth 1"), meta.get("flowlab.command"));
        var badWidth = PipelineSmokeTest.run("teacher", "train", "--world", "scenes", "--width", "48", "--out",
                tmp.resolve("w").toString());
        assertEquals(2, badWidth.exitCode(), badWidth.err());
        assertTrue(badWidth.err().contains("--width 48"), badWidth.err());
        Path samples = tmp.resolve("px");
        var s = PipelineSmokeTest.run("sample", "--model", teacher.toString(), "--prompt", "two shapes",
                "--seeds", "0", "--steps", "1", "--out", samples.toString());
        assertEquals(0, s.exitCode(), s.err());
        assertEquals(64, javax.imageio.ImageIO.read(samples.resolve("000-seed0.png").toFile()).getHeight());
    }

    @Test
    void theScenesClassifierTrainsAndLoadsBack() throws Exception {
        Path out = tmp.resolve("scene-classifier.safetensors");
        var r = PipelineSmokeTest.run("classifier", "train", "--world", "scenes", "--steps", "2", "--batch", "4",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("occupied") && r.err().contains("adherence"), r.err());
        assertTrue(org.flowlab.io.SafeTensors.read(out).metadata().get("flowlab.accuracy").contains("adherence"));
        try (var c = org.flowlab.toy.scenes.SceneClassifier.load(out, Device.cpu());
             var m = c.manager().newSubManager()) {
            var x = org.flowlab.toy.scenes.Scenes.batch(java.util.List.of(org.flowlab.toy.scenes.Scenes.sample(1, 0)), m);
            assertEquals(9, c.read(x).get(0).cells().length, "the loaded reader reads a scene cell by cell");
            assertEquals(org.flowlab.toy.scenes.SceneClassifier.FEATURES, c.featureRows(x)[0].length);
        }
        var notOne = PipelineSmokeTest.run("sample", "--prompt", "a red circle", "--out", tmp.resolve("y").toString(),
                "--model", out.toString());
        assertEquals(2, notOne.exitCode(), "a classifier is not a model to sample: " + notOne.err());
        var bad = PipelineSmokeTest.run("classifier", "train", "--world", "planets", "--out", tmp.resolve("x").toString());
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("planets"), bad.err());
    }
}
