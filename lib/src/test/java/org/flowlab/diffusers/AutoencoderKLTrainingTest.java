package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.flowlab.toy.scenes.Scenes;
import org.flowlab.train.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A diffusers AutoencoderKL made and trained here (the second toy world's codec: 64x64x3 to 16x16x4). */
class AutoencoderKLTrainingTest {
    @TempDir
    Path tmp;

    static JsonObject tinyConfig() {
        JsonObject c = new JsonObject();
        JsonArray channels = new JsonArray();
        List.of(8, 16, 16).forEach(channels::add);
        c.add("block_out_channels", channels);
        JsonArray down = new JsonArray();
        JsonArray up = new JsonArray();
        for (int i = 0; i < 3; i++) {
            down.add("DownEncoderBlock2D");
            up.add("UpDecoderBlock2D");
        }
        c.add("down_block_types", down);
        c.add("up_block_types", up);
        c.addProperty("latent_channels", 4);
        c.addProperty("norm_num_groups", 4);
        c.addProperty("layers_per_block", 1);
        c.addProperty("in_channels", 3);
        c.addProperty("out_channels", 3);
        return c;
    }

    @Test
    void trainsFitsItsFactorsAndSavesAFolderDiffusersReads() throws IOException {
        Engines.prepareThread();
        try (AutoencoderKL vae = AutoencoderKL.random(tinyConfig(), Device.cpu(), 64, 64)) {
            assertArrayEquals(new long[] {4, 16, 16}, vae.latentShape());
            assertEquals(1f, vae.parameters().get("encoder.conv_norm_out.weight").array().min().getFloat(),
                    "GroupNorm scales start at 1");
            var config = new AutoencoderKLTraining.Config(60, 4,
                    new OptimizerConfig(2e-3, 0.9, 0.999, 0.0, 1e-8, 1.0, 5, false, 0), 1e-6, 0);
            var losses = AutoencoderKLTraining.train(vae, Scenes.trainingSource(0), config, p -> { });
            double first = losses.get(0).reconstruction();
            double last = losses.subList(50, 60).stream().mapToDouble(AutoencoderKLTraining.StepLoss::reconstruction)
                    .average().orElseThrow();
            assertTrue(last < 0.6 * first, "reconstruction error falls: " + first + " -> " + last);

            List<Scenes.Sample> samples = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                samples.add(Scenes.sample(1000 + i, 0));
            }
            float[] encoded;
            try (NDManager m = vae.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
                NDArray images = Scenes.batch(samples, m);
                AutoencoderKLTraining.fitFactors(vae, images);
                NDArray z = vae.encode(images);
                assertEquals(0, z.mean().getFloat(), 0.02, "scaled latents centred");
                float std = z.sub(z.mean()).square().mean().sqrt().getFloat();
                assertEquals(1, std, 0.02, "scaled latents of unit spread");
                encoded = z.toFloatArray();
            }
            vae.save(tmp.resolve("vae"));
            try (AutoencoderKL loaded = AutoencoderKL.load(tmp.resolve("vae"), null, Device.cpu(), 64, 64);
                 NDManager m = loaded.manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
                assertEquals(vae.scalingFactor(), loaded.scalingFactor(), 1e-12);
                assertEquals(vae.shiftFactor(), loaded.shiftFactor(), 1e-12);
                assertArrayEquals(encoded, loaded.encode(Scenes.batch(samples, m)).toFloatArray(), 1e-5f,
                        "the saved folder encodes as the trained VAE does");
            }
        }
    }
}
