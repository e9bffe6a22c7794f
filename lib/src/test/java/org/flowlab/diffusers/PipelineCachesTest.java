package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.flowlab.cache.LatentCache;
import org.flowlab.cache.PromptCache;
import org.flowlab.data.ImageFolder;
import org.flowlab.glance.Glance;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.Shapes;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.TeacherCache;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caches on a real pipeline folder (the tiny Flux): prompt conditioning and image latents are written once, read
 * back by later runs with the same encoder or VAE only, and a run whose caches hold everything never loads a text
 * encoder.
 */
class PipelineCachesTest {
    @TempDir
    static Path tmp;
    static Path flux;

    @BeforeAll
    static void build() throws IOException {
        flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
    }

    static DiffusionModel open(int height, int width) {
        return DiffusersPipeline.open(flux, DiffusersPipeline.Options.of(height, width));
    }

    static boolean textEncoderLoaded(DiffusionModel m) {
        return ((FluxTextEncoder) m.textEncoder()).loaded();
    }

    static float maxAbs(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void promptConditioningIsEncodedOnceAndReadBackWithoutLoadingTheEncoder() {
        Path root = tmp.resolve("prompts");
        List<String> prompts = List.of("a red circle", "a blue square", "a red circle");
        try (DiffusionModel first = open(16, 16); NDManager m = first.transformer().manager().newSubManager();
             NoGrad ng = NoGrad.enter()) {
            assertFalse(textEncoderLoaded(first), "opening a pipeline loads no text encoder");
            PromptCache cache = PromptCache.at(root, first.textEncoder());
            var cached = cache.encode(prompts, m);
            assertEquals(2, cache.encodedPrompts(), "distinct prompts are encoded once");
            var direct = first.textEncoder().encode(prompts, m);
            for (String k : direct.tensors().keySet()) {
                assertTrue(maxAbs(cached.tensor(k), direct.tensor(k)) < 1e-6, k);
            }
        }
        try (DiffusionModel second = open(16, 16); NDManager m = second.transformer().manager().newSubManager()) {
            PromptCache cache = PromptCache.at(root, second.textEncoder());
            assertTrue(cache.holds(prompts));
            var c = cache.encode(prompts, m);
            assertEquals(0, cache.encodedPrompts());
            assertEquals(3, c.batchSize());
            assertFalse(textEncoderLoaded(second), "a run whose prompts are cached never loads CLIP or T5");
        }
    }

    @Test
    void theFingerprintFollowsTheFilesAndTheTokenCountNotTheFolderName() throws IOException {
        String fp;
        try (DiffusionModel m = open(16, 16)) {
            fp = m.textEncoder().fingerprint();
        }
        try (DiffusionModel shorter = DiffusersPipeline.open(flux, new DiffusersPipeline.Options(16, 16, Device.cpu(),
                DataType.FLOAT32, null, 4))) {
            assertNotEquals(fp, shorter.textEncoder().fingerprint(), "another T5 token count, another conditioning");
        }
        Path copy = TinyPipelines.flux(tmp.resolve("copy-of-flux"));
        try (DiffusionModel m = DiffusersPipeline.open(copy, DiffusersPipeline.Options.of(16, 16))) {
            assertEquals(fp, m.textEncoder().fingerprint(), "the same files elsewhere: the same encoder");
        }
        Path edited = TinyPipelines.flux(tmp.resolve("edited-flux"));
        Path weights;
        try (var s = Files.list(edited.resolve("text_encoder_2"))) {
            weights = s.filter(p -> p.toString().endsWith(".safetensors")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(weights);
        b[b.length - 1] ^= 0x40; // one bit of the last T5 weight
        Files.write(weights, b);
        try (DiffusionModel m = DiffusersPipeline.open(edited, DiffusersPipeline.Options.of(16, 16))) {
            assertNotEquals(fp, m.textEncoder().fingerprint(), "other T5 weights, another encoder");
        }
    }

    @Test
    void latentsAreCachedPerImageBucketAndVae() throws IOException {
        Path image = tmp.resolve("photo.png");
        writeImage(image, 36, 24, 0);
        LatentCache cache = LatentCache.at(tmp.resolve("latents"));
        try (DiffusionModel m = open(12, 20); NDManager nd = m.transformer().manager().newSubManager()) {
            NDArray z = cache.latents(image, m.codec(), nd);
            assertEquals(1, cache.encodedImages());
            float[] px = ImageFolder.loadImage(image, 20, 12);
            NDArray direct;
            try (NoGrad ng = NoGrad.enter()) {
                direct = m.codec().encode(OwnedArrays.create(nd, px,
                        new ai.djl.ndarray.types.Shape(Shapes.batched(1, m.pixelShape()))));
            }
            assertTrue(maxAbs(z, direct) < 1e-6);
            NDArray again = LatentCache.at(tmp.resolve("latents")).latents(image, m.codec(), nd);
            assertEquals(0f, maxAbs(again, z), "read back, not encoded");
        }
        try (DiffusionModel square = open(16, 16); NDManager nd = square.transformer().manager().newSubManager()) {
            cache.latents(image, square.codec(), nd);
            assertEquals(2, cache.encodedImages(), "another bucket, another latent");
            writeImage(image, 36, 24, 90); // the same name, other pixels
            cache.latents(image, square.codec(), nd);
            assertEquals(3, cache.encodedImages(), "an edited image is encoded again");
        }
        try (var files = Files.list(tmp.resolve("latents"))) {
            assertEquals(3, files.count());
        }
    }

    @Test
    void badImagesAreRefusedAndLeaveNothingInTheCache() throws IOException {
        Path root = tmp.resolve("bad-latents");
        Path small = tmp.resolve("small.png");
        writeImage(small, 12, 8, 0);
        Path text = tmp.resolve("notes.png");
        Files.writeString(text, "not an image");
        try (DiffusionModel m = open(12, 20); NDManager nd = m.transformer().manager().newSubManager()) {
            LatentCache cache = LatentCache.at(root);
            IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
                    () -> cache.latents(small, m.codec(), nd));
            assertTrue(tooSmall.getMessage().contains("12x8") && tooSmall.getMessage().contains("20x12"),
                    tooSmall.getMessage());
            IllegalArgumentException notImage = assertThrows(IllegalArgumentException.class, () -> cache.latents(text, m.codec(), nd));
            assertTrue(notImage.getMessage().contains("notes.png"), notImage.getMessage());
        }
        assertFalse(Files.exists(root), "nothing written");
    }

    @Test
    void glanceAndScfmFromTheCachesRunNoTextEncoder() throws IOException {
        Path root = tmp.resolve("run-caches");
        Path image = tmp.resolve("train.png");
        writeImage(image, 20, 20, 30);
        Path teacherData = tmp.resolve("teacher");
        try (DiffusionModel m = open(16, 16)) {
            TeacherCache.pregenerate(m, List.of("a red circle", "a blue square"), 1, 5,
                    new TeacherCache.Settings(2, m.defaults().shift(), 1.0), teacherData, p -> { });
            try (NDManager nd = m.transformer().manager().newSubManager()) {
                PromptCache.at(root.resolve("prompts"), m.textEncoder()).fill(List.of("a photo"), nd);
                LatentCache.at(root.resolve("latents")).latents(image, m.codec(), nd);
            }
        }
        try (DiffusionModel m = open(16, 16)) {
            PromptCache prompts = PromptCache.at(root.resolve("prompts"), m.textEncoder());
            float[] z;
            try (NDManager nd = m.transformer().manager().newSubManager()) {
                z = LatentCache.at(root.resolve("latents")).latents(image, m.codec(), nd).toFloatArray();
            }
            Glance.Result r = Glance.train(m, new Glance.Example(z, "a photo", prompts),
                    GlanceLists.derive(m.schedule(50), GlanceLists.DEFAULT_SLOW_POSITIONS, GlanceLists.DEFAULT_FAST_POSITIONS),
                    Glance.Config.forModel(m).steps(2).build(), p -> { });
            assertEquals(4, r.losses().size());
            assertEquals(0, prompts.encodedPrompts());
            assertFalse(textEncoderLoaded(m), "Glance from cached latents and conditioning loads no text encoder");

            ScfmConfig config = ScfmConfig.forModel(m).toBuilder().batchSize(2).lora(2, 2).build();
            TeacherCache data = TeacherCache.open(teacherData);
            assertNotNull(data.conditioningBy(m.textEncoder()));
            try (Scfm scfm = new Scfm(m, data, config)) {
                assertTrue(scfm.usesCachedConditioning());
                scfm.step();
                scfm.step();
            }
            assertFalse(textEncoderLoaded(m), "SCFM training from the teacher cache loads no text encoder");
        }
    }

    @Test
    void familyRecipes() {
        try (DiffusionModel m = open(16, 16)) {
            Glance.Config g = Glance.Config.forModel(m).build();
            assertEquals(16, g.rank());
            assertEquals(64, g.alphaFactor() * g.rank());
            assertEquals(5e-4, g.optimizer().lr());
            assertTrue(g.targets().matches("transformer_blocks.0.attn.to_out.0"));
            assertFalse(g.targets().matches("transformer_blocks.0.ff.net.0.proj"), "attention projections only");
            ScfmConfig.Inference i = ScfmConfig.inferenceFor(m);
            assertEquals(3.25, i.shift());
            assertEquals(1.6, i.loraScale());
        }
        try (DiffusionModel sd3 = DiffusersPipeline.open(TinyPipelines.sd3(tmp.resolve("tiny-sd3")),
                DiffusersPipeline.Options.of(16, 16))) {
            ScfmConfig c = ScfmConfig.forModel(sd3);
            assertEquals(3.5, c.teacherCfg());
            assertEquals(2.0, c.optimizer().gradClip());
            assertEquals(2000, c.emaRestartEvery());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void writeImage(Path file, int w, int h, int offset) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((x * 7 + offset) & 0xff) << 16 | ((y * 9) & 0xff) << 8 | 100);
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
