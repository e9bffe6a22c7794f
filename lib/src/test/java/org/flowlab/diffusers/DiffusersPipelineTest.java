package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import com.google.gson.JsonParser;
import org.flowlab.flow.EulerSampler;
import org.flowlab.io.SafeTensors;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.lora.Lora;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.SchedulePreset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A FluxPipeline folder opened as a DiffusionModel: components wired as the pipeline wires them. */
class DiffusersPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void aFluxFolderEncodesPromptsAsThePipelineDoes() throws IOException {
        Engines.prepareThread();
        Path dir = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        List<String> prompts = TokenizerParityTest.prompts().subList(0, 2);
        try (DiffusionModel model = DiffusersPipeline.open(dir, DiffusersPipeline.Options.of(16, 16));
             NDManager m = Engines.get().newBaseManager();
             CLIPTextModel clip = CLIPTextModel.load(dir.resolve("text_encoder"), null, Device.cpu());
             T5EncoderModel t5 = T5EncoderModel.load(dir.resolve("text_encoder_2"), null, Device.cpu());
             NoGrad ng = NoGrad.enter()) {
            assertArrayEquals(new long[] {4, 8, 8}, model.latentShape(), "16 px through a downscale-2 VAE");
            assertArrayEquals(new long[] {3, 16, 16}, model.pixelShape());
            assertEquals(3.5, model.defaults().guidance(), "a guidance-embedded Flux samples as Flux-dev");
            Conditioning c = model.encode(prompts, m);
            // the same encoders run by hand on the ids transformers gives for these prompts
            NDArray clipIds = m.create(rows("clip", 2));
            NDArray t5Ids = m.create(rows("t5", 2));
            NDArray pooled = clip.forward(clipIds).pooled();
            NDArray states = t5.forward(t5Ids);
            assertEquals(0, maxAbs(pooled, c.tensor(FluxTransformer2DModel.POOLED)), "pooled_projections: CLIP's pooled output");
            assertEquals(0, maxAbs(states, c.tensor(FluxTransformer2DModel.TEXT)), "encoder_hidden_states: T5's last hidden state");
            assertEquals(3.5f, c.guidance().toFloatArray()[0]);
        }
    }

    /**
     * diffusers' FluxPipeline on the same folder from the same initial latents (tests/pipeline_parity/flux_reference.py):
     * prompt embeddings, the final latents after 4 steps at guidance 3.5, and the decoded image agree.
     */
    @Test
    void matchesDiffusersFluxPipelineEndToEnd() throws IOException {
        Engines.prepareThread();
        Path dir = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        SafeTensors.Contents ref = SafeTensors.read(Path.of("src/test/resources/pipeline-parity/flux.safetensors"));
        List<String> prompts = new ArrayList<>();
        JsonParser.parseString(ref.metadata().get("prompts")).getAsJsonArray().forEach(e -> prompts.add(e.getAsString()));
        int steps = Integer.parseInt(ref.metadata().get("steps"));
        try (DiffusionModel model = DiffusersPipeline.open(dir, new DiffusersPipeline.Options(16, 16, Device.cpu(),
                     ai.djl.ndarray.types.DataType.FLOAT32, null, Integer.parseInt(ref.metadata().get("max_sequence_length"))));
             NDManager m = Engines.get().newBaseManager();
             NoGrad ng = NoGrad.enter()) {
            Conditioning c = model.encode(prompts, m);
            assertEquals(0, maxAbs(array(m, ref, "encoder_hidden_states"), c.tensor(FluxTransformer2DModel.TEXT)), 1e-5);
            assertEquals(0, maxAbs(array(m, ref, "pooled_projections"), c.tensor(FluxTransformer2DModel.POOLED)), 1e-5);
            SamplingPlan plan = SamplingPlan.of(model.schedule(steps), Lora.BASE);
            NDArray latents = EulerSampler.sample(model.transformer(), plan, array(m, ref, "noise"), c).images();
            double latentError = maxAbs(array(m, ref, "latents"), latents);
            assertTrue(latentError < 1e-4, "final latents within 1e-4 of diffusers': " + latentError);
            // the pipeline's image processor clamps to [-1, 1] (as PNG writing does here)
            double imageError = maxAbs(array(m, ref, "image"), model.codec().decode(latents).clip(-1, 1));
            assertTrue(imageError < 1e-4, "decoded image within 1e-4 of diffusers': " + imageError);
            System.out.printf(java.util.Locale.ROOT, "FluxPipeline parity: latents %.2e, image %.2e%n", latentError, imageError);
        }
    }

    /**
     * diffusers' StableDiffusion3Pipeline on the same folder from the same latents (tests/pipeline_parity/sd3_reference.py):
     * prompt and empty-prompt embeddings, the final latents after 4 steps of true CFG 3.0, and the image agree.
     */
    @Test
    void matchesDiffusersSd3PipelineEndToEnd() throws IOException {
        Engines.prepareThread();
        Path dir = TinyPipelines.sd3(tmp.resolve("tiny-sd3"));
        SafeTensors.Contents ref = SafeTensors.read(Path.of("src/test/resources/pipeline-parity/sd3.safetensors"));
        List<String> prompts = new ArrayList<>();
        JsonParser.parseString(ref.metadata().get("prompts")).getAsJsonArray().forEach(e -> prompts.add(e.getAsString()));
        int steps = Integer.parseInt(ref.metadata().get("steps"));
        double cfg = Double.parseDouble(ref.metadata().get("cfg"));
        try (DiffusionModel model = DiffusersPipeline.open(dir, new DiffusersPipeline.Options(16, 16, Device.cpu(),
                     ai.djl.ndarray.types.DataType.FLOAT32, null, Integer.parseInt(ref.metadata().get("max_sequence_length"))));
             NDManager m = Engines.get().newBaseManager();
             NoGrad ng = NoGrad.enter()) {
            assertEquals(7.0, model.defaults().cfg(), "SD3's pipeline guides with CFG 7 by default");
            Conditioning c = model.encode(prompts, m);
            Conditioning u = model.encode(List.of("", ""), m);
            assertEquals(0, maxAbs(array(m, ref, "encoder_hidden_states"), c.tensor(SD3Transformer2DModel.TEXT)), 1e-5);
            assertEquals(0, maxAbs(array(m, ref, "pooled_projections"), c.tensor(SD3Transformer2DModel.POOLED)), 1e-5);
            assertEquals(0, maxAbs(array(m, ref, "negative_encoder_hidden_states"), u.tensor(SD3Transformer2DModel.TEXT)), 1e-5);
            assertEquals(0, maxAbs(array(m, ref, "negative_pooled_projections"), u.tensor(SD3Transformer2DModel.POOLED)), 1e-5);
            SamplingPlan plan = SamplingPlan.of(model.schedule(steps), Lora.BASE).withGuidance(cfg);
            NDArray latents = EulerSampler.sample(model.transformer(), plan, array(m, ref, "noise"), c, u, false,
                    org.flowlab.progress.ProgressListener.NONE).images();
            double latentError = maxAbs(array(m, ref, "latents"), latents);
            assertTrue(latentError < 1e-4, "final latents within 1e-4 of diffusers': " + latentError);
            double imageError = maxAbs(array(m, ref, "image"), model.codec().decode(latents).clip(-1, 1));
            assertTrue(imageError < 1e-4, "decoded image within 1e-4 of diffusers': " + imageError);
            System.out.printf(java.util.Locale.ROOT, "StableDiffusion3Pipeline parity: latents %.2e, image %.2e%n",
                    latentError, imageError);
        }
    }

    private static NDArray array(NDManager m, SafeTensors.Contents c, String key) {
        org.flowlab.io.Tensor t = c.tensor(key);
        return m.create(t.data(), new ai.djl.ndarray.types.Shape(t.shape()));
    }

    @Test
    void theSchedulerConfigGivesFluxDevsSchedule() throws IOException {
        Path dir = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        try (DiffusionModel model = DiffusersPipeline.open(dir, DiffusersPipeline.Options.of(16, 16))) {
            // 16 px -> 8x8 latents -> 4x4 packed tokens; mu from that count, as the pipeline computes it
            double mu = SchedulePreset.FLUX_DEV.config().dynamic().mu(16);
            Schedule want = SchedulePreset.FLUX_DEV.request().steps(28).mu(mu).build();
            Schedule got = model.schedule(28);
            assertEquals(want.steps(), got.steps());
            for (int i = 0; i <= 28; i++) {
                assertEquals(want.sigma(i), got.sigma(i), 1e-12, "sigma " + i);
            }
        }
    }

    @Test
    void samplingThroughTheVaeIsDeterministicPerSeed() throws IOException {
        Engines.prepareThread();
        Path dir = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        try (DiffusionModel model = DiffusersPipeline.open(dir, DiffusersPipeline.Options.of(16, 16));
             NDManager m = Engines.get().newBaseManager()) {
            Pipeline.Request r = Pipeline.Request.of(SamplingPlan.of(model.schedule(3), Lora.BASE));
            List<String> p = List.of("a red circle", "a blue square");
            NDArray a = Pipeline.images(model, r, p, new long[] {1, 2}, m);
            NDArray b = Pipeline.images(model, r, p, new long[] {1, 2}, m);
            NDArray other = Pipeline.images(model, r, p, new long[] {3, 2}, m);
            assertArrayEquals(new long[] {2, 3, 16, 16}, a.getShape().getShape());
            assertEquals(0, maxAbs(a, b), "same seeds, same pixels");
            assertTrue(maxAbs(a.get(0), other.get(0)) > 1e-3, "another seed, another image");
            assertEquals(0, maxAbs(a.get(1), other.get(1)), 1e-6, "the other row keeps its seed");
        }
    }

    @Test
    void badFoldersAreNamed() throws IOException {
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        assertTrue(message(plain).contains("no model_index.json"), message(plain));
        assertTrue(message(tmp.resolve("nowhere")).contains("no such folder"));

        Path sd = TinyPipelines.flux(tmp.resolve("other"));
        Files.writeString(sd.resolve("model_index.json"), Files.readString(sd.resolve("model_index.json"))
                .replace("\"FluxPipeline\"", "\"KandinskyPipeline\""));
        assertTrue(message(sd).contains("pipeline class KandinskyPipeline is not supported"), message(sd));

        Path missing = TinyPipelines.flux(tmp.resolve("missing"));
        for (Path f : Files.list(missing.resolve("text_encoder_2")).toList()) {
            Files.delete(f);
        }
        Files.delete(missing.resolve("text_encoder_2"));
        assertTrue(message(missing).contains("component 'text_encoder_2' (T5EncoderModel) is listed but its folder"),
                message(missing));

        Path unlisted = TinyPipelines.flux(tmp.resolve("unlisted"));
        Files.writeString(unlisted.resolve("model_index.json"), Files.readString(unlisted.resolve("model_index.json"))
                .replace("\"vae\": [\"diffusers\", \"AutoencoderKL\"],", ""));
        assertTrue(message(unlisted).contains("needs component 'vae'"), message(unlisted));

        Path sched = TinyPipelines.flux(tmp.resolve("sched"));
        Files.writeString(sched.resolve("scheduler/scheduler_config.json"),
                "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"use_dynamic_shifting\": true, \"time_shift_type\": \"cubic\"}");
        assertTrue(message(sched).contains("time_shift_type 'cubic'"), message(sched));
    }

    private static String message(Path dir) {
        return assertThrows(IllegalArgumentException.class,
                () -> DiffusersPipeline.open(dir, DiffusersPipeline.Options.of(16, 16)).close()).getMessage();
    }

    private static long[][] rows(String key, int n) {
        long[][] out = new long[n][];
        for (int i = 0; i < n; i++) {
            out[i] = java.util.stream.StreamSupport.stream(TokenizerParityTest.EXPECTED.getAsJsonArray(key).get(i)
                    .getAsJsonArray().spliterator(), false).mapToLong(e -> e.getAsLong()).toArray();
        }
        return out;
    }

    private static double maxAbs(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
