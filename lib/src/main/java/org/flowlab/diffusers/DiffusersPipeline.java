package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.flowlab.model.DiffusionModel;
import org.flowlab.schedule.DynamicShift;
import org.flowlab.schedule.Linspace;
import org.flowlab.schedule.ScheduleFamily;
import org.flowlab.schedule.SchedulerConfig;
import org.flowlab.schedule.ShiftMode;

/**
 * A diffusers pipeline folder as a {@link DiffusionModel}: {@code model_index.json} names the pipeline class and
 * its components, each loaded from its own sub-folder; the schedule comes from {@code scheduler/scheduler_config.json}.
 * Supported: {@code FluxPipeline}, {@code StableDiffusion3Pipeline}.
 */
public final class DiffusersPipeline {
    private DiffusersPipeline() {
    }

    /**
     * How to load a pipeline.
     *
     * @param height image height in pixels (the latents follow from the VAE)
     * @param width image width in pixels
     * @param dtype the transformer's compute type (FLOAT32 or FLOAT16); text encoders and VAE compute in float32
     * @param variant weights variant ({@code "bf16"}, {@code "fp16"}) or null
     * @param maxSequenceLength T5's token count; 0: the pipeline's default (Flux 512, SD3 256) within the tokenizer's limit
     * @param textEncoderDevice where the text encoders run (they load on first use); null: {@code device}
     */
    public record Options(int height, int width, Device device, DataType dtype, String variant, int maxSequenceLength,
                          Device textEncoderDevice) {
        public Options {
            if (height <= 0 || width <= 0) {
                throw new IllegalArgumentException("image size " + width + "x" + height + " must be positive");
            }
            if (textEncoderDevice == null) {
                textEncoderDevice = device;
            }
        }

        public Options(int height, int width, Device device, DataType dtype, String variant, int maxSequenceLength) {
            this(height, width, device, dtype, variant, maxSequenceLength, null);
        }

        public static Options of(int height, int width) {
            return new Options(height, width, Device.cpu(), DataType.FLOAT32, null, 0);
        }

        /** The same at another image size (an aspect-ratio bucket). */
        public Options withSize(int height, int width) {
            return new Options(height, width, device, dtype, variant, maxSequenceLength, textEncoderDevice);
        }
    }

    public static DiffusionModel open(Path dir, Options options) {
        JsonObject index = modelIndex(dir);
        String cls = string(index, "_class_name", dir.resolve("model_index.json"));
        try (Loading load = new Loading(dir, index, options)) {
            return switch (cls) {
                case "FluxPipeline" -> load.keep(flux(load));
                case "StableDiffusion3Pipeline" -> load.keep(sd3(load));
                default -> throw new IllegalArgumentException(dir.resolve("model_index.json") + ": pipeline class " + cls
                        + " is not supported (supported: FluxPipeline, StableDiffusion3Pipeline)");
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What image sides must be multiples of for this pipeline folder: the VAE's downscale (2 per down block after the
     * first) times 2, since Flux packs and SD3 patches 2x2 latents into one token. Read from the configs; nothing loads.
     */
    public static int sizeMultiple(Path dir) {
        JsonObject index = modelIndex(dir);
        Path vae = component(dir, index, "vae").resolve("config.json");
        JsonObject c = json(vae);
        JsonElement blocks = c.get("block_out_channels");
        if (blocks == null || !blocks.isJsonArray() || blocks.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException(vae + ": no block_out_channels");
        }
        return (1 << (blocks.getAsJsonArray().size() - 1)) * 2;
    }

    /** One pipeline folder being loaded: the components opened so far are closed again unless the model is kept. */
    private static final class Loading implements AutoCloseable {
        final Path dir;
        final JsonObject index;
        final Options o;
        private final List<AutoCloseable> opened = new ArrayList<>();
        private boolean kept;

        Loading(Path dir, JsonObject index, Options o) {
            this.dir = dir;
            this.index = index;
            this.o = o;
        }

        Path component(String name) {
            return DiffusersPipeline.component(dir, index, name);
        }

        <T extends AutoCloseable> T opened(T c) {
            opened.add(c);
            return c;
        }

        AutoencoderKL vae() throws IOException {
            return opened(AutoencoderKL.load(component("vae"), o.variant(), o.device(), o.height(), o.width()));
        }

        /** A text encoder, loaded on first use; its folder and config are checked now. */
        Lazy<CLIPTextModel> clip(String name) {
            Path folder = configured(name);
            return opened(new Lazy<>("CLIP text model " + folder,
                    () -> CLIPTextModel.load(folder, o.variant(), o.textEncoderDevice())));
        }

        Lazy<T5EncoderModel> t5(String name) {
            Path folder = configured(name);
            return opened(new Lazy<>("T5 encoder " + folder,
                    () -> T5EncoderModel.load(folder, o.variant(), o.textEncoderDevice())));
        }

        private Path configured(String name) {
            Path folder = component(name);
            if (!Files.isRegularFile(folder.resolve("config.json"))) {
                throw new IllegalArgumentException(folder + " has no config.json");
            }
            return folder;
        }

        /**
         * The text encoder's identity for caches: every tokenizer and encoder folder it reads, and the T5 token count,
         * computed from the files without loading a model.
         */
        String textFingerprint(int maxSequenceLength, String... folders) {
            org.flowlab.model.Fingerprint f = org.flowlab.model.Fingerprint.of("text encoder of " + index.get("_class_name"))
                    .add(maxSequenceLength);
            for (String name : folders) {
                f.add(name).addFolder(component(name));
            }
            return f.hex();
        }

        /** T5's token count: the one asked for, else the pipeline's default capped by the tokenizer's own limit. */
        PromptTokenizer t5Tokenizer(String name, int pipelineDefault) {
            Path folder = component(name);
            if (o.maxSequenceLength() > 0) {
                return PromptTokenizer.open(folder, o.maxSequenceLength());
            }
            int limit = PromptTokenizer.TokenizerConfig.read(folder).modelMaxLength().orElse(pipelineDefault);
            return PromptTokenizer.open(folder, Math.min(limit, pipelineDefault));
        }

        DiffusionModel keep(DiffusionModel model) {
            kept = true;
            return model;
        }

        Map<String, String> metadata(String pipeline) {
            return Map.of("folder", dir.toAbsolutePath().toString(), DiffusionModel.PIPELINE, pipeline);
        }

        @Override
        public void close() {
            if (kept) {
                return;
            }
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // already failing: the first error is the one to report
                }
            }
        }
    }

    private static DiffusionModel sd3(Loading load) throws IOException {
        Options o = load.o;
        AutoencoderKL vae = load.vae();
        long[] latent = vae.latentShape();
        SD3Transformer2DModel transformer = load.opened(SD3Transformer2DModel.load(load.component("transformer"),
                o.variant(), o.device(), (int) latent[1], (int) latent[2], o.dtype()));
        PromptTokenizer t5Tokens = load.t5Tokenizer("tokenizer_3", 256);
        SD3TextEncoder text = new SD3TextEncoder(PromptTokenizer.open(load.component("tokenizer")), load.clip("text_encoder"),
                PromptTokenizer.open(load.component("tokenizer_2")), load.clip("text_encoder_2"),
                t5Tokens, load.t5("text_encoder_3"), load.textFingerprint(t5Tokens.maxLength(), "tokenizer",
                        "text_encoder", "tokenizer_2", "text_encoder_2", "tokenizer_3", "text_encoder_3"));
        SchedulerConfig scheduler = schedulerConfig(load.component("scheduler"));
        if (scheduler.shiftMode().isDynamic()) {
            throw new IllegalArgumentException(load.dir.resolve("scheduler/scheduler_config.json")
                    + ": use_dynamic_shifting is set, but StableDiffusion3Pipeline passes no mu");
        }
        // the pipeline's call: 28 steps, true CFG 7 with the empty negative prompt, the scheduler's static shift
        DiffusionModel.Defaults defaults = new DiffusionModel.Defaults(28, scheduler.shift(), 7.0, Double.NaN);
        ScheduleFamily schedules = (steps, shift) -> scheduler.withStaticShift(shift)
                .setTimesteps("shift " + shift + ", " + steps + " steps", steps, null, null, OptionalDouble.empty());
        return new DiffusionModel(load.dir.getFileName().toString(), transformer, text, vae, schedules, defaults,
                load.metadata(DiffusionModel.SD3_PIPELINE));
    }

    private static DiffusionModel flux(Loading load) throws IOException {
        Options o = load.o;
        AutoencoderKL vae = load.vae();
        long[] latent = vae.latentShape();
        FluxTransformer2DModel transformer = load.opened(FluxTransformer2DModel.load(load.component("transformer"),
                o.variant(), o.device(), (int) latent[1], (int) latent[2], o.dtype()));
        PromptTokenizer t5Tokens = load.t5Tokenizer("tokenizer_2", 512);
        FluxTextEncoder text = new FluxTextEncoder(PromptTokenizer.open(load.component("tokenizer")),
                load.clip("text_encoder"), t5Tokens, load.t5("text_encoder_2"),
                load.textFingerprint(t5Tokens.maxLength(), "tokenizer", "text_encoder", "tokenizer_2", "text_encoder_2"));
        // the packed transformer sees (H/2)(W/2) tokens; mu follows that count
        int tokens = (int) ((latent[1] / 2) * (latent[2] / 2));
        SchedulerConfig scheduler = schedulerConfig(load.component("scheduler"));
        double shift = pipelineShift(scheduler, tokens);
        DiffusionModel.Defaults defaults = transformer.takesGuidance()
                ? new DiffusionModel.Defaults(28, shift, 1.0, 3.5)         // Flux-dev's pipeline call
                : new DiffusionModel.Defaults(4, shift, 1.0, Double.NaN);  // Flux-schnell's
        return new DiffusionModel(load.dir.getFileName().toString(), transformer, text, vae, sigmasToOneOverN(scheduler),
                defaults, load.metadata(DiffusionModel.FLUX_PIPELINE));
    }

    /**
     * The N-step schedule at a static shift, as a pipeline that passes {@code sigmas = linspace(1, 1/n, n)} (Flux)
     * gets it. A dynamic scheduler's shift at a given mu is a static one ({@code e^mu} exponential, {@code mu}
     * linear), so the family stays "steps and shift" and the pipeline's own schedule is the one at
     * {@link #pipelineShift}.
     */
    static ScheduleFamily sigmasToOneOverN(SchedulerConfig config) {
        return (steps, shift) -> config.withStaticShift(shift).setTimesteps("shift " + shift + ", " + steps + " steps",
                steps, Linspace.of(1.0, 1.0 / steps, steps), null, OptionalDouble.empty());
    }

    /** The static shift equal to what the scheduler does at this image token count. */
    static double pipelineShift(SchedulerConfig config, int imageTokens) {
        return switch (config.shiftMode()) {
            case STATIC -> config.shift();
            case EXPONENTIAL -> Math.exp(config.dynamic().mu(imageTokens));
            case LINEAR -> config.dynamic().mu(imageTokens);
        };
    }

    /** {@code FlowMatchEulerDiscreteScheduler}'s config, the keys that change sigmas. */
    static SchedulerConfig schedulerConfig(Path schedulerDir) {
        Path file = schedulerDir.resolve("scheduler_config.json");
        JsonObject c = json(file);
        String cls = string(c, "_class_name", file);
        if (!cls.equals("FlowMatchEulerDiscreteScheduler")) {
            throw new IllegalArgumentException(file + ": scheduler " + cls + " is not supported (supported: FlowMatchEulerDiscreteScheduler)");
        }
        int train = c.has("num_train_timesteps") ? c.get("num_train_timesteps").getAsInt() : 1000;
        double shift = c.has("shift") ? c.get("shift").getAsDouble() : 1.0;
        OptionalDouble terminal = c.has("shift_terminal") && !c.get("shift_terminal").isJsonNull()
                ? OptionalDouble.of(c.get("shift_terminal").getAsDouble()) : OptionalDouble.empty();
        boolean dynamic = c.has("use_dynamic_shifting") && c.get("use_dynamic_shifting").getAsBoolean();
        if (!dynamic) {
            return new SchedulerConfig(train, ShiftMode.STATIC, shift, null, terminal);
        }
        String type = c.has("time_shift_type") ? c.get("time_shift_type").getAsString() : "exponential";
        ShiftMode mode = switch (type) {
            case "exponential" -> ShiftMode.EXPONENTIAL;
            case "linear" -> ShiftMode.LINEAR;
            default -> throw new IllegalArgumentException(file + ": time_shift_type '" + type
                    + "' is not one of exponential, linear");
        };
        DynamicShift d = new DynamicShift(number(c, "base_shift", 0.5), number(c, "max_shift", 1.15),
                (int) number(c, "base_image_seq_len", 256), (int) number(c, "max_image_seq_len", 4096));
        return new SchedulerConfig(train, mode, shift, d, terminal);
    }

    private static double number(JsonObject c, String key, double otherwise) {
        return c.has(key) && !c.get(key).isJsonNull() ? c.get(key).getAsDouble() : otherwise;
    }

    private static JsonObject modelIndex(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": no such folder");
        }
        Path file = dir.resolve("model_index.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + ": no model_index.json, so not a diffusers pipeline folder"
                    + " (a single model's folder has config.json: see model info)");
        }
        return json(file);
    }

    /** The folder of a component the index names; an error names the component when it is absent. */
    private static Path component(Path dir, JsonObject index, String name) {
        JsonElement entry = index.get(name);
        if (entry == null || !entry.isJsonArray() || entry.getAsJsonArray().size() != 2
                || entry.getAsJsonArray().get(1).isJsonNull()) {
            throw new IllegalArgumentException(dir.resolve("model_index.json") + ": the pipeline needs component '"
                    + name + "', which it does not list");
        }
        Path sub = dir.resolve(name);
        if (!Files.isDirectory(sub)) {
            throw new IllegalArgumentException(dir + ": component '" + name + "' ("
                    + entry.getAsJsonArray().get(1).getAsString() + ") is listed but its folder " + sub + " is missing");
        }
        return sub;
    }

    private static JsonObject json(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(file + ": not a JSON object (" + e.getMessage() + ")", e);
        }
    }

    private static String string(JsonObject o, String key, Path file) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new IllegalArgumentException(file + ": no " + key);
        }
        return e.getAsString();
    }
}
