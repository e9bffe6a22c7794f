package org.flowlab.diffusers;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Prompts to token ids as a diffusers pipeline asks its tokenizer for them: special tokens added, truncated to
 * {@link #maxLength()} and padded to it with the folder's pad token.
 */
public interface PromptTokenizer {

    int maxLength();

    Tokens encode(List<String> prompts);

    /** Ids, one row of {@code maxLength} per prompt, and the rows whose prompt was cut to fit. */
    record Tokens(long[][] ids, List<Integer> truncated) {
    }

    /**
     * A pipeline's tokenizer folder ({@code tokenizer/}, {@code tokenizer_2/}, ...): {@code tokenizer.json} when
     * there is one, otherwise CLIP's {@code vocab.json} + {@code merges.txt}; the maximum length is the folder's
     * {@code model_max_length}.
     */
    static PromptTokenizer open(Path folder) {
        return open(folder, 0);
    }

    /** As {@link #open(Path)}, with the maximum length the pipeline passes (for example 512 for Flux-dev's T5); 0: the folder's. */
    static PromptTokenizer open(Path folder, int maxLength) {
        TokenizerConfig config = TokenizerConfig.read(folder);
        int length = maxLength > 0 ? maxLength : config.modelMaxLength()
                .orElseThrow(() -> new IllegalArgumentException(folder.resolve(TokenizerConfig.FILE)
                        + ": no model_max_length, and no maximum length given"));
        if (Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            return TokenizerJson.open(folder.resolve("tokenizer.json"), config, length);
        }
        if (Files.isRegularFile(folder.resolve("vocab.json")) && Files.isRegularFile(folder.resolve("merges.txt"))) {
            return CLIPTokenizer.open(folder, config, length);
        }
        throw new IllegalArgumentException(folder + ": no tokenizer.json and no vocab.json + merges.txt");
    }

    /** What a tokenizer folder's {@code tokenizer_config.json} says that the ids depend on. */
    record TokenizerConfig(Optional<Integer> modelMaxLength, Optional<String> padToken, Optional<String> bosToken,
                           Optional<String> eosToken, Optional<String> unkToken) {
        static final String FILE = "tokenizer_config.json";

        static TokenizerConfig read(Path folder) {
            if (!Files.isDirectory(folder)) {
                throw new IllegalArgumentException(folder + ": not a tokenizer folder");
            }
            Path file = folder.resolve(FILE);
            if (!Files.isRegularFile(file)) {
                return new TokenizerConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.empty());
            }
            try {
                JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
                // transformers writes a huge number for "no limit"
                Optional<Integer> max = Optional.ofNullable(o.get("model_max_length"))
                        .filter(JsonElement::isJsonPrimitive).map(JsonElement::getAsDouble)
                        .filter(d -> d > 0 && d < 1e7).map(Double::intValue);
                return new TokenizerConfig(max, token(o, "pad_token"), token(o, "bos_token"), token(o, "eos_token"),
                        token(o, "unk_token"));
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + e.getMessage(), e);
            } catch (JsonParseException | IllegalStateException e) {
                throw new IllegalArgumentException(file + ": not a JSON object (" + e.getMessage() + ")", e);
            }
        }

        /** A special token is written either as its text or as an object with {@code content}. */
        private static Optional<String> token(JsonObject o, String key) {
            JsonElement e = o.get(key);
            if (e == null || e.isJsonNull()) {
                return Optional.empty();
            }
            return Optional.of(e.isJsonObject() ? e.getAsJsonObject().get("content").getAsString() : e.getAsString());
        }
    }

    /** One line per tokenizer that cuts the prompt: which one and its limit. */
    static List<String> truncationNotes(String prompt, String[] names, PromptTokenizer... tokenizers) {
        List<String> notes = new java.util.ArrayList<>();
        for (int i = 0; i < tokenizers.length; i++) {
            if (!tokenizers[i].encode(List.of(prompt)).truncated().isEmpty()) {
                notes.add("the prompt is longer than " + names[i] + "'s " + tokenizers[i].maxLength()
                        + " tokens; it reads the first " + tokenizers[i].maxLength() + " (as diffusers does): "
                        + (prompt.length() > 60 ? prompt.substring(0, 57) + "..." : prompt));
            }
        }
        return notes;
    }
}
