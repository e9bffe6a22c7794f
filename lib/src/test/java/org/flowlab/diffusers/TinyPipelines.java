package org.flowlab.diffusers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds tiny diffusers pipeline folders from the test fixtures (random models run through diffusers'
 * and transformers' code; see resources/diffusers-parity/README.md and resources/tokenizers/README.md).
 */
public final class TinyPipelines {
    static final String PARITY = "diffusers-parity/";
    static final String TOKENIZERS = "tokenizers/";

    private TinyPipelines() {
    }

    /**
     * A FluxPipeline: the tiny Flux transformer (guidance-embedded, 4 latent channels packed to 16), the 4-channel
     * VAE (downscale 2) with Flux's scaling and shift factors, CLIP (pooled 32) and T5 (d_model 32), the fixture
     * tokenizers, Flux-dev's scheduler config. tests/pipeline_parity/flux_reference.py builds the same folder.
     */
    public static Path flux(Path dir) throws IOException {
        copy(PARITY + "flux_transformer", dir.resolve("transformer"), "config.json", "diffusion_pytorch_model.safetensors");
        copy(PARITY + "vae_kl_4ch", dir.resolve("vae"), "config.json", "diffusion_pytorch_model.safetensors");
        // Flux's own latent scaling, so the pipeline's shift_factor path runs
        Path vae = dir.resolve("vae/config.json");
        Files.writeString(vae, Files.readString(vae).replace("\"scaling_factor\": 0.18215", "\"scaling_factor\": 0.3611")
                .replace("\"shift_factor\": null", "\"shift_factor\": 0.1159"));
        copy(PARITY + "clip_text_model", dir.resolve("text_encoder"), "config.json", "model.safetensors");
        copy(PARITY + "t5_encoder_model", dir.resolve("text_encoder_2"), "config.json", "model.safetensors");
        copy(TOKENIZERS + "clip", dir.resolve("tokenizer"), "vocab.json", "merges.txt", "tokenizer_config.json");
        copy(TOKENIZERS + "t5", dir.resolve("tokenizer_2"), "tokenizer.json", "tokenizer_config.json");
        Files.createDirectories(dir.resolve("scheduler"));
        Files.writeString(dir.resolve("scheduler/scheduler_config.json"), """
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "base_image_seq_len": 256, "base_shift": 0.5,
                 "max_image_seq_len": 4096, "max_shift": 1.15, "num_train_timesteps": 1000, "shift": 3.0,
                 "use_dynamic_shifting": true}
                """);
        Files.writeString(dir.resolve("model_index.json"), """
                {"_class_name": "FluxPipeline", "_diffusers_version": "0.42.1",
                 "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                 "text_encoder": ["transformers", "CLIPTextModel"], "text_encoder_2": ["transformers", "T5EncoderModel"],
                 "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "T5TokenizerFast"],
                 "transformer": ["diffusers", "FluxTransformer2DModel"], "vae": ["diffusers", "AutoencoderKL"],
                 "image_encoder": [null, null], "feature_extractor": [null, null]}
                """);
        return dir;
    }

    /**
     * A StableDiffusion3Pipeline: the tiny SD3 transformer (pooled 64, joint_attention_dim 32), the 4-channel VAE with
     * SD3's scaling and shift factors, two random CLIPTextModelWithProjection (hidden 16, projection 32) made by
     * tests/pipeline_parity/sd3_reference.py, T5 (d_model 32), the fixture tokenizers (CLIP-L padding with
     * {@code <|endoftext|>}, CLIP-G with {@code !}), SD3's scheduler config. The script builds the same folder.
     */
    public static Path sd3(Path dir) throws IOException {
        copy(PARITY + "sd3_transformer", dir.resolve("transformer"), "config.json", "diffusion_pytorch_model.safetensors");
        copy(PARITY + "vae_kl_4ch", dir.resolve("vae"), "config.json", "diffusion_pytorch_model.safetensors");
        Path vae = dir.resolve("vae/config.json");
        Files.writeString(vae, Files.readString(vae).replace("\"scaling_factor\": 0.18215", "\"scaling_factor\": 1.5305")
                .replace("\"shift_factor\": null", "\"shift_factor\": 0.0609"));
        copy("pipeline-parity/sd3/text_encoder", dir.resolve("text_encoder"), "config.json", "model.safetensors");
        copy("pipeline-parity/sd3/text_encoder_2", dir.resolve("text_encoder_2"), "config.json", "model.safetensors");
        copy(PARITY + "t5_encoder_model", dir.resolve("text_encoder_3"), "config.json", "model.safetensors");
        copy(TOKENIZERS + "clip", dir.resolve("tokenizer"), "vocab.json", "merges.txt", "tokenizer_config.json");
        Path tc = dir.resolve("tokenizer/tokenizer_config.json");
        Files.writeString(tc, Files.readString(tc).replace("\"pad_token\": \"!\"", "\"pad_token\": \"<|endoftext|>\""));
        copy(TOKENIZERS + "clip", dir.resolve("tokenizer_2"), "vocab.json", "merges.txt", "tokenizer_config.json");
        copy(TOKENIZERS + "t5", dir.resolve("tokenizer_3"), "tokenizer.json", "tokenizer_config.json");
        Files.createDirectories(dir.resolve("scheduler"));
        Files.writeString(dir.resolve("scheduler/scheduler_config.json"),
                "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"num_train_timesteps\": 1000, \"shift\": 3.0}");
        Files.writeString(dir.resolve("model_index.json"), """
                {"_class_name": "StableDiffusion3Pipeline", "_diffusers_version": "0.42.1",
                 "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                 "text_encoder": ["transformers", "CLIPTextModelWithProjection"],
                 "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
                 "text_encoder_3": ["transformers", "T5EncoderModel"],
                 "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
                 "tokenizer_3": ["transformers", "T5TokenizerFast"],
                 "transformer": ["diffusers", "SD3Transformer2DModel"], "vae": ["diffusers", "AutoencoderKL"],
                 "image_encoder": [null, null], "feature_extractor": [null, null]}
                """);
        return dir;
    }

    /** Copies fixture files from the classpath (test classes, or this module's test jar in another module). */
    private static void copy(String from, Path to, String... names) throws IOException {
        Files.createDirectories(to);
        for (String n : List.of(names)) {
            try (InputStream in = TinyPipelines.class.getClassLoader().getResourceAsStream(from + "/" + n)) {
                if (in == null) {
                    throw new IOException("no test resource " + from + "/" + n);
                }
                Files.copy(in, to.resolve(n));
            }
        }
    }
}
