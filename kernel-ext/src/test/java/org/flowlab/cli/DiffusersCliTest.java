package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.flowlab.diffusers.TinyPipelines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI on a diffusers pipeline folder (a tiny random Flux the test builds from lib's fixtures). */
class DiffusersCliTest {
    @TempDir
    Path tmp;

    @Test
    void sampleWritesPngsThroughTheVaeDeterministicallyPerSeed() throws Exception {
        Path flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        String[] args = {"sample", "--model", flux.toString(), "--image-size", "16x16", "--prompt", "a red circle",
            "--prompt", "a blue square", "--seeds", "0-1", "--steps", "2"};
        var a = PipelineSmokeTest.run(concat(args, "--out", tmp.resolve("a").toString()));
        assertEquals(0, a.exitCode(), a.err());
        var b = PipelineSmokeTest.run(concat(args, "--out", tmp.resolve("b").toString()));
        assertEquals(0, b.exitCode(), b.err());
        JsonArray manifest = JsonParser.parseString(Files.readString(tmp.resolve("a/manifest.json"))).getAsJsonArray();
        assertEquals(4, manifest.size(), "2 prompts x 2 seeds");
        for (var e : manifest) {
            String file = e.getAsJsonObject().get("file").getAsString();
            byte[] png = Files.readAllBytes(tmp.resolve("a").resolve(file));
            assertArrayEquals(png, Files.readAllBytes(tmp.resolve("b").resolve(file)), file + ": same seed, same PNG");
            assertEquals(16, javax.imageio.ImageIO.read(tmp.resolve("a").resolve(file).toFile()).getWidth());
        }
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("a/000-seed0.png")),
                Files.readAllBytes(tmp.resolve("a/000-seed1.png"))), "another seed, another image");
    }

    @Test
    void sd3SamplesWithTrueCfgByDefault() throws Exception {
        Path sd3 = TinyPipelines.sd3(tmp.resolve("tiny-sd3"));
        String[] args = {"sample", "--model", sd3.toString(), "--image-size", "16x16", "--prompt", "a red circle",
            "--seeds", "0", "--steps", "2"};
        var guided = PipelineSmokeTest.run(concat(args, "--out", tmp.resolve("guided").toString()));
        assertEquals(0, guided.exitCode(), guided.err());
        var plain = PipelineSmokeTest.run(concat(args, "--cfg", "1", "--out", tmp.resolve("plain").toString()));
        assertEquals(0, plain.exitCode(), plain.err());
        assertTrue(guided.err().contains("4 NFE"), "CFG 7 doubles the model calls: " + guided.err());
        assertTrue(plain.err().contains("2 NFE"), plain.err());
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("guided/000-seed0.png")),
                Files.readAllBytes(tmp.resolve("plain/000-seed0.png"))), "guidance changes the image");
    }

    @Test
    void glanceTrainsOnAnImageAndSamplesWithDiffusersLayoutAdapters() throws Exception {
        Path flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        Path image = tmp.resolve("cat.png");
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(24, 24, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 24; x++) {
                img.setRGB(x, y, (x * 10) << 16 | (y * 10) << 8 | 128);
            }
        }
        javax.imageio.ImageIO.write(img, "png", image.toFile());
        Path run = tmp.resolve("glance");
        var t = PipelineSmokeTest.run("glance", "train", "--model", flux.toString(), "--image-size", "16x16",
                "--image", image.toString(), "--caption", "a red circle", "--steps", "3", "--out", run.toString(),
                "--cache", tmp.resolve("cache").toString());
        assertEquals(0, t.exitCode(), t.err());
        var slow = org.flowlab.io.SafeTensors.read(run.resolve("slow.safetensors"));
        assertTrue(slow.tensors().keySet().stream().allMatch(k -> k.startsWith("transformer.")), slow.tensors().keySet().toString());
        assertTrue(slow.tensors().containsKey("transformer.transformer_blocks.0.attn.to_q.lora_A.weight"),
                "Glance's Flux targets under diffusers' names: " + slow.tensors().keySet());
        assertTrue(slow.tensors().keySet().stream().allMatch(k -> k.matches(
                "transformer\\.(single_)?transformer_blocks\\.\\d+\\.attn\\.to_(q|k|v|out\\.0)\\.lora_[AB]\\.weight")),
                "the official Flux recipe: attention projections only: " + slow.tensors().keySet());
        Path samples = tmp.resolve("glance-samples");
        var s = PipelineSmokeTest.run("glance", "sample", "--model", flux.toString(), "--image-size", "16x16", "--lora",
                run.toString(), "--prompt", "a red circle", "--seeds", "0", "--out", samples.toString());
        assertEquals(0, s.exitCode(), s.err());
        assertEquals(16, javax.imageio.ImageIO.read(samples.resolve("000-seed0.png").toFile()).getHeight());
    }

    static Path folder(String family, Path dir) throws java.io.IOException {
        return family.equals("flux") ? TinyPipelines.flux(dir) : TinyPipelines.sd3(dir);
    }

    /** The SCFM chain on both families: pregen (a second one reuses everything), train twice (same bytes), sample. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"flux", "sd3"})
    void scfmPregenTrainAndSampleWithTheStudent(String family) throws Exception {
        Path model = folder(family, tmp.resolve("tiny-" + family));
        Path prompts = tmp.resolve("prompts.txt");
        Files.writeString(prompts, "a red circle\na blue square on a green background\n");
        Path cache = tmp.resolve("cache");
        String[] pregen = {"scfm", "pregen", "--model", model.toString(), "--image-size", "16x16", "--prompts",
            prompts.toString(), "--per-prompt", "2", "--steps", "3", "--out", cache.toString()};
        var p = PipelineSmokeTest.run(pregen);
        assertEquals(0, p.exitCode(), p.err());
        assertTrue(p.err().contains("4 generated and 3 prompt(s) encoded this run"), "2 prompts and the empty one: " + p.err());
        var again = PipelineSmokeTest.run(pregen);
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.err().contains("0 generated and 0 prompt(s) encoded this run"),
                "a second pregen runs neither the teacher nor a text encoder: " + again.err());
        byte[] first = null;
        for (String run : new String[] {"scfm", "scfm-again"}) {
            Path out = tmp.resolve(run);
            var t = PipelineSmokeTest.run("scfm", "train", "--model", model.toString(), "--image-size", "16x16",
                    "--data", cache.toString(), "--steps", "2", "--batch", "2", "--rank", "2", "--out", out.toString());
            assertEquals(0, t.exitCode(), t.err());
            assertTrue(t.err().contains("from the cache (no text encoder runs)"), t.err());
            byte[] student = Files.readAllBytes(out.resolve("student.safetensors"));
            if (first == null) {
                first = student;
            } else {
                assertArrayEquals(first, student, "the same seed, the same student");
            }
        }
        var student = org.flowlab.io.SafeTensors.read(tmp.resolve("scfm/student.safetensors"));
        String everyLinear = family.equals("flux") ? "transformer.single_transformer_blocks.0.proj_mlp.lora_A.weight"
                : "transformer.transformer_blocks.0.ff.net.0.proj.lora_A.weight";
        assertTrue(student.tensors().containsKey(everyLinear), "SCFM targets every Linear: " + student.tensors().keySet());
        assertTrue(student.tensors().keySet().stream().allMatch(k -> k.startsWith("transformer.") && k.contains(".lora_")),
                "diffusers' PEFT layout: " + student.tensors().keySet());
        if (family.equals("flux")) {
            assertEquals("5", student.metadata().get("flowlab.recommended.steps"), "the Flux demo's inference settings");
            assertEquals("3.25", student.metadata().get("flowlab.recommended.shift"));
            assertEquals("1.6", student.metadata().get("flowlab.recommended.lora_scale"));
        } else {
            assertEquals("3.0", student.metadata().get("flowlab.recommended.shift"));
        }
        for (String run : new String[] {"a", "b"}) {
            var s = PipelineSmokeTest.run("sample", "--model", model.toString(), "--image-size", "16x16", "--lora",
                    tmp.resolve("scfm/student.safetensors").toString(), "--prompt", "a red circle", "--seeds", "0",
                    "--out", tmp.resolve("student-" + run).toString());
            assertEquals(0, s.exitCode(), s.err());
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("student-a/000-seed0.png")),
                Files.readAllBytes(tmp.resolve("student-b/000-seed0.png")), "deterministic per seed");
    }

    /** Glance on both families: train on one image, sample with the two adapters. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"flux", "sd3"})
    void glanceOnBothFamilies(String family) throws Exception {
        Path model = folder(family, tmp.resolve("tiny-" + family));
        Path image = tmp.resolve("photo.png");
        writeImage(image, 20, 20, 5);
        Path run = tmp.resolve("glance");
        var t = PipelineSmokeTest.run("glance", "train", "--model", model.toString(), "--image-size", "16x16", "--image",
                image.toString(), "--caption", "a photo", "--steps", "2", "--cache", tmp.resolve("c").toString(),
                "--out", run.toString());
        assertEquals(0, t.exitCode(), t.err());
        var fast = org.flowlab.io.SafeTensors.read(run.resolve("fast.safetensors"));
        assertTrue(fast.tensors().containsKey("transformer.transformer_blocks.0.attn.to_q.lora_A.weight"),
                fast.tensors().keySet().toString());
        for (String out : new String[] {"a", "b"}) {
            var s = PipelineSmokeTest.run("glance", "sample", "--model", model.toString(), "--lora", run.toString(),
                    "--prompt", "a photo", "--seeds", "0", "--out", tmp.resolve("g-" + out).toString());
            assertEquals(0, s.exitCode(), s.err());
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("g-a/000-seed0.png")),
                Files.readAllBytes(tmp.resolve("g-b/000-seed0.png")), "deterministic per seed");
    }

    static void writeImage(Path file, int w, int h, int offset) throws java.io.IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((x * 7 + offset) & 0xff) << 16 | ((y * 9) & 0xff) << 8 | 100);
            }
        }
        javax.imageio.ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void glancePicksTheImagesBucketAndASecondRunReadsBothCaches() throws Exception {
        Path flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        Path image = tmp.resolve("wide.png");
        writeImage(image, 36, 24, 0);
        Path cache = tmp.resolve("cache");
        String[] args = {"glance", "train", "--model", flux.toString(), "--image-size", "16x16", "--image",
            image.toString(), "--caption", "a wide picture", "--steps", "2", "--cache", cache.toString()};
        var first = PipelineSmokeTest.run(concat(args, "--out", tmp.resolve("first").toString()));
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.err().contains("-> bucket 20x12"), "a 3:2 image at about 16x16 pixels: " + first.err());
        assertTrue(first.err().contains("1 image(s) and 1 prompt(s) encoded this run"), first.err());
        var second = PipelineSmokeTest.run(concat(args, "--out", tmp.resolve("second").toString()));
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.err().contains("0 image(s) and 0 prompt(s) encoded this run"), second.err());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("first/slow.safetensors")),
                Files.readAllBytes(tmp.resolve("second/slow.safetensors")), "cached inputs, the same LoRA");
        var meta = JsonParser.parseString(Files.readString(tmp.resolve("first/glance.json"))).getAsJsonObject();
        assertEquals("20x12", meta.get("image_size").getAsString());

        Path samples = tmp.resolve("samples");
        var s = PipelineSmokeTest.run("glance", "sample", "--model", flux.toString(), "--lora",
                tmp.resolve("first").toString(), "--prompt", "a wide picture", "--seeds", "0", "--out", samples.toString());
        assertEquals(0, s.exitCode(), s.err());
        var png = javax.imageio.ImageIO.read(samples.resolve("000-seed0.png").toFile());
        assertEquals(20, png.getWidth(), "glance sample defaults to the size the LoRAs were trained at");
        assertEquals(12, png.getHeight());
    }

    @Test
    void badImagesAreOneLineAndLeaveNoCacheOrOutput() throws Exception {
        Path flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        Path small = tmp.resolve("small.png");
        writeImage(small, 12, 8, 0);
        Path cache = tmp.resolve("cache");
        Path out = tmp.resolve("never");
        var tooSmall = PipelineSmokeTest.run("glance", "train", "--model", flux.toString(), "--image-size", "16x16",
                "--image", small.toString(), "--caption", "x", "--cache", cache.toString(), "--out", out.toString());
        assertEquals(2, tooSmall.exitCode(), tooSmall.err());
        assertTrue(tooSmall.err().contains("12x8") && tooSmall.err().contains("20x12"), tooSmall.err());
        Path notes = tmp.resolve("notes.png");
        Files.writeString(notes, "not an image");
        var notImage = PipelineSmokeTest.run("glance", "train", "--model", flux.toString(), "--image-size", "16x16",
                "--image", notes.toString(), "--caption", "x", "--cache", cache.toString(), "--out", out.toString());
        assertEquals(2, notImage.exitCode(), notImage.err());
        assertTrue(notImage.err().contains("notes.png") && notImage.err().contains("cannot be read"), notImage.err());
        for (var r : java.util.List.of(tooSmall, notImage)) {
            assertEquals(1, r.err().strip().lines().filter(l -> !l.startsWith("image ") || l.contains("cannot")
                    || l.contains("smaller")).count(), r.err());
        }
        assertFalse(Files.exists(out), "no output");
        assertFalse(Files.exists(cache.resolve("latents")), "no latent written");
    }

    @Test
    void aPromptLongerThanTheTokenizerIsTruncatedWithAWarning() throws Exception {
        Path flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        String longPrompt = String.join(" ", java.util.Collections.nCopies(40, "red"));
        var r = PipelineSmokeTest.run("sample", "--model", flux.toString(), "--image-size", "16x16", "--prompt",
                longPrompt, "--seeds", "0", "--steps", "1", "--out", tmp.resolve("long").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("warning: the prompt is longer than CLIP (tokenizer)'s 16 tokens"),
                "the truncation is said: " + r.err());
        assertTrue(Files.exists(tmp.resolve("long/000-seed0.png")));
    }

    @Test
    void badPipelineInputIsOneLineExitTwoAndWritesNothing() throws Exception {
        Path out = tmp.resolve("never");
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        var none = PipelineSmokeTest.run("sample", "--model", plain.toString(), "--prompt", "x", "--out", out.toString());
        assertEquals(2, none.exitCode(), none.err());
        assertTrue(none.err().contains("no model_index.json"), none.err());
        assertEquals(1, none.err().strip().lines().count(), none.err());

        Path flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        var size = PipelineSmokeTest.run("sample", "--model", flux.toString(), "--image-size", "16by16", "--prompt", "x",
                "--out", out.toString());
        assertEquals(2, size.exitCode(), size.err());
        assertTrue(size.err().contains("16by16"), size.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
