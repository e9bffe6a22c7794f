package org.flowlab.diffusers;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A {@code tokenizer.json} (T5's, or a CLIP saved by transformers) through Hugging Face's tokenizers (DJL's
 * binding): it truncates; padding uses the pad token of the folder's config, since the file's own padding
 * settings are whatever the last {@code save} left.
 */
final class TokenizerJson implements PromptTokenizer {
    private static final Logger LOG = Logger.getLogger(TokenizerJson.class.getName());

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final long pad;

    private TokenizerJson(HuggingFaceTokenizer tokenizer, int maxLength, long pad) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.pad = pad;
    }

    static TokenizerJson open(Path file, TokenizerConfig config, int maxLength) {
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of("maxLength", Integer.toString(maxLength),
                    "truncation", "true", "padding", "false", "addSpecialTokens", "true"));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a tokenizer.json (" + e.getMessage() + ")", e);
        }
        String padToken = config.padToken().orElse("<pad>");
        long pad;
        try {
            pad = idOf(file, padToken);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return new TokenizerJson(tokenizer, maxLength, pad);
    }

    /** A token's id from the file: its added tokens, then the model's vocabulary (a map, or Unigram's list). */
    static long idOf(Path file, String token) {
        try {
            JsonObject root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
            JsonElement added = root.get("added_tokens");
            if (added != null && added.isJsonArray()) {
                for (JsonElement a : added.getAsJsonArray()) {
                    if (token.equals(a.getAsJsonObject().get("content").getAsString())) {
                        return a.getAsJsonObject().get("id").getAsLong();
                    }
                }
            }
            JsonElement vocab = root.getAsJsonObject("model").get("vocab");
            if (vocab != null && vocab.isJsonObject() && vocab.getAsJsonObject().has(token)) {
                return vocab.getAsJsonObject().get(token).getAsLong();
            }
            if (vocab != null && vocab.isJsonArray()) {
                JsonArray pieces = vocab.getAsJsonArray();
                for (int i = 0; i < pieces.size(); i++) {
                    if (token.equals(pieces.get(i).getAsJsonArray().get(0).getAsString())) {
                        return i;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
            throw new IllegalArgumentException(file + ": not a tokenizer.json (" + e.getMessage() + ")", e);
        }
        throw new IllegalArgumentException(file + ": has no token '" + token + "' (the pad token of tokenizer_config.json)");
    }

    @Override
    public int maxLength() {
        return maxLength;
    }

    @Override
    public Tokens encode(List<String> prompts) {
        long[][] ids = new long[prompts.size()][];
        List<Integer> truncated = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            // the overflow, not exceedMaxLength (true at exactly maxLength), says whether tokens were cut
            Encoding e = tokenizer.encode(prompts.get(i), true, true);
            if (e.getOverflowing().length > 0) {
                int index = i;
                LOG.warning(() -> "prompt " + index + " was cut to " + maxLength + " tokens: " + prompts.get(index));
                truncated.add(i);
            }
            long[] row = Arrays.copyOf(e.getIds(), maxLength);
            Arrays.fill(row, e.getIds().length, maxLength, pad);
            ids[i] = row;
        }
        return new Tokens(ids, List.copyOf(truncated));
    }
}
