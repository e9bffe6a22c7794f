package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.flowlab.glance.Glance;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensors;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.LatentCodec;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.TextEncoder;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.ScheduleFamily;
import org.flowlab.schedule.SchedulePreset;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.TeacherCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Glance and an SCFM step on the tiny diffusers Flux and SD3, through the library calls the toy uses. */
class DiffusersMethodsTest {
    @TempDir
    Path dir;

    /** Stands in for CLIP + T5 (the next issue brings them): prompt-seeded states (B, 7, 32) and pooled (B, P). */
    static final class SeededText implements TextEncoder {
        final NDManager manager = Engines.get().newBaseManager();
        final int pooledWidth;

        SeededText(int pooledWidth) {
            this.pooledWidth = pooledWidth;
        }

        @Override
        public Conditioning encode(List<String> prompts, NDManager m) {
            int b = prompts.size();
            float[] states = new float[b * 7 * 32];
            float[] pooled = new float[b * pooledWidth];
            for (int i = 0; i < b; i++) {
                SplittableRandom r = new SplittableRandom(prompts.get(i).hashCode());
                for (int k = 0; k < 7 * 32; k++) {
                    states[i * 7 * 32 + k] = (float) r.nextGaussian();
                }
                for (int k = 0; k < pooledWidth; k++) {
                    pooled[i * pooledWidth + k] = (float) r.nextGaussian();
                }
            }
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put(FluxTransformer2DModel.TEXT, OwnedArrays.create(m, states, new Shape(b, 7, 32)));
            t.put(FluxTransformer2DModel.POOLED, OwnedArrays.create(m, pooled, new Shape(b, pooledWidth)));
            return Conditioning.of(prompts, t);
        }

        @Override
        public NDManager manager() {
            return manager;
        }

        @Override
        public NamedParameters parameters() {
            return new NamedParameters();
        }

        @Override
        public Map<String, LinearLayer> linears() {
            return Map.of();
        }

        @Override
        public String describe() {
            return "seeded text stand-in";
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    static DiffusionModel tinyFlux() throws IOException {
        FluxTransformer2DModel t = FluxTransformer2DModel.load(FluxParityTest.DIR, null, Device.cpu(), 8, 12);
        return new DiffusionModel("tiny-flux", t, new SeededText(32), LatentCodec.identity(4, 8, 12),
                ScheduleFamily.SHIFTED_GRID, new DiffusionModel.Defaults(8, 3.0, 1.0, 3.5), Map.of());
    }

    /** SD3 samples with true CFG (no guidance input). */
    static DiffusionModel tinySd3() throws IOException {
        SD3Transformer2DModel t = SD3Transformer2DModel.load(SD3ParityTest.DIR, null, Device.cpu(), 8, 12);
        return new DiffusionModel("tiny-sd3", t, new SeededText(64), LatentCodec.identity(4, 8, 12),
                ScheduleFamily.SHIFTED_GRID, new DiffusionModel.Defaults(8, 3.0, 3.5, Double.NaN), Map.of());
    }

    /** diffusers' own module names in the fixture: every key of the state dict less ".weight"/".bias". */
    static Set<String> diffusersModules() throws IOException {
        return SafeTensors.read(FluxParityTest.DIR.resolve("diffusion_pytorch_model.safetensors")).tensors().keySet().stream()
                .map(k -> k.substring(0, k.lastIndexOf('.'))).collect(Collectors.toSet());
    }

    @Test
    void glanceTrainsTheOfficialFluxTargetsAndWritesKeysDiffusersAccepts() throws IOException {
        Engines.prepareThread();
        try (DiffusionModel flux = tinyFlux()) {
            float[] image = new float[4 * 8 * 12];
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < image.length; i++) {
                image[i] = (float) (0.5 * r.nextGaussian());
            }
            GlanceLists lists = GlanceLists.derive(SchedulePreset.FLUX_DEV, 1024, 1024);
            Glance.Config config = Glance.Config.builder().steps(4).rank(2).guidance(1.0)
                    .targets(org.flowlab.lora.TargetSelector.glanceFlux())
                    .build();
            Glance.Result result = Glance.train(flux, image, "a photo", lists, config, p -> { });
            assertEquals(List.of("transformer_blocks.0.attn.to_q", "transformer_blocks.0.attn.to_k",
                    "transformer_blocks.0.attn.to_v", "transformer_blocks.0.attn.to_out.0",
                    "single_transformer_blocks.0.attn.to_q", "single_transformer_blocks.0.attn.to_k",
                    "single_transformer_blocks.0.attn.to_v"), result.slow().modules(), "the official Glance-Flux targets");
            Path f = dir.resolve("slow.safetensors");
            LoraFiles.export(result.slow(), f, Map.of());
            Set<String> modules = diffusersModules();
            for (String key : SafeTensors.read(f).tensors().keySet()) {
                assertTrue(key.startsWith("transformer.") && key.matches(".*\\.lora_[AB]\\.weight"), key);
                String module = key.substring("transformer.".length(), key.indexOf(".lora_"));
                assertTrue(modules.contains(module), "diffusers' Flux has no module " + module);
            }
        }
    }

    @Test
    void glanceAndScfmRunOnSd3WithTrueCfgInTheTeacherPasses() throws IOException {
        Engines.prepareThread();
        try (DiffusionModel sd3 = tinySd3()) {
            float[] image = new float[4 * 8 * 12];
            java.util.Arrays.fill(image, 0.3f);
            Glance.Result r = Glance.train(sd3, image, "a photo", GlanceLists.derive(SchedulePreset.SD3, 1024, 1024),
                    Glance.Config.builder().steps(3).rank(2).build(), p -> { });
            assertTrue(r.fast().modules().contains("transformer_blocks.0.attn2.to_q"), r.fast().modules().toString());
            TeacherCache cache = TeacherCache.pregenerate(sd3, List.of("a", "b"), 1, 0, TeacherCache.Settings.standard(sd3),
                    dir.resolve("sd3-cache"), p -> { });
            assertEquals(3.5, cache.settings().cfg(), 0, "the model's default: SD3's true CFG");
            ScfmConfig c = ScfmConfig.official().toBuilder().lora(2, 2).batchSize(2).teacherCfg(3.5).seed(2).build();
            try (Scfm scfm = new Scfm(sd3, cache, c)) {
                double loss = scfm.step().get("loss");
                assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
            }
        }
    }

    @Test
    void anScfmStepRunsWithGuidanceDrawsOnEveryLinear() throws IOException {
        Engines.prepareThread();
        try (DiffusionModel flux = tinyFlux()) {
            TeacherCache cache = TeacherCache.pregenerate(flux, List.of("a", "b", "c"), 1, 0,
                    new TeacherCache.Settings(4, 3.0, 1.0), dir.resolve("cache"), p -> { });
            ScfmConfig c = ScfmConfig.official().toBuilder().lora(2, 2).batchSize(3).seed(2).build();
            try (Scfm scfm = new Scfm(flux, cache, c)) {
                double loss = scfm.step().get("loss");
                assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
                assertEquals(flux.transformer().linears().size(), scfm.student().modules().size(),
                        "SCFM's targets: every Linear, the embedders and the modulation included");
                assertTrue(scfm.student().modules().contains("time_text_embed.guidance_embedder.linear_2"));
            }
        }
    }
}
