package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token ids equal those transformers gives for the same folders (fixtures: resources/tokenizers/README.md). */
class TokenizerParityTest {
    static final Path DIR = resources("tokenizers");
    static final JsonObject EXPECTED = expected();

    static Path resources(String name) {
        try {
            return Path.of(TokenizerParityTest.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonObject expected() {
        try {
            return JsonParser.parseString(Files.readString(DIR.resolve("expected.json"))).getAsJsonObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> prompts() {
        List<String> p = new ArrayList<>();
        EXPECTED.getAsJsonArray("prompts").forEach(e -> p.add(e.getAsString()));
        return p;
    }

    static void assertIds(String key, PromptTokenizer.Tokens tokens) {
        JsonArray rows = EXPECTED.getAsJsonArray(key);
        assertEquals(rows.size(), tokens.ids().length);
        for (int i = 0; i < rows.size(); i++) {
            long[] want = new long[rows.get(i).getAsJsonArray().size()];
            int j = 0;
            for (JsonElement e : rows.get(i).getAsJsonArray()) {
                want[j++] = e.getAsLong();
            }
            assertArrayEquals(want, tokens.ids()[i], key + " ids of prompt " + i + ": '" + prompts().get(i) + "'");
        }
    }

    static List<Integer> truncated(String key) {
        List<Integer> cut = new ArrayList<>();
        EXPECTED.getAsJsonArray(key + "_truncated").forEach(e -> cut.add(e.getAsInt()));
        return cut;
    }

    @Test
    void clipFromVocabAndMergesMatchesTransformers() {
        PromptTokenizer clip = PromptTokenizer.open(DIR.resolve("clip"));
        assertEquals(16, clip.maxLength(), "model_max_length of the folder");
        PromptTokenizer.Tokens t = clip.encode(prompts());
        assertIds("clip", t);
        assertEquals(truncated("clip"), t.truncated(), "the prompts transformers cuts");
    }

    @Test
    void clipFromTokenizerJsonMatchesTransformers() {
        PromptTokenizer.Tokens t = PromptTokenizer.open(DIR.resolve("clip-json")).encode(prompts());
        assertIds("clip", t);
        assertEquals(truncated("clip"), t.truncated());
    }

    @Test
    void t5FromTokenizerJsonMatchesTransformers() {
        PromptTokenizer.Tokens t = PromptTokenizer.open(DIR.resolve("t5")).encode(prompts());
        assertIds("t5", t);
        assertEquals(truncated("t5"), t.truncated());
    }

    @Test
    void aPipelinesMaxLengthOverridesTheFolders() {
        PromptTokenizer t5 = PromptTokenizer.open(DIR.resolve("t5"), 20);
        long[] row = t5.encode(List.of(prompts().get(4))).ids()[0];
        assertEquals(20, row.length);
        assertEquals(1, row[19], "20 tokens hold the long prompt up to its forced end token");
        long[] first = t5.encode(List.of(prompts().get(0))).ids()[0];
        assertEquals(8, java.util.Arrays.stream(first).takeWhile(id -> id != 0).count(), "7 words and </s>, then <pad>");
    }

    @Test
    void badFoldersAreNamed(@TempDir Path tmp) throws IOException {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> PromptTokenizer.open(tmp, 77));
        assertTrue(none.getMessage().contains("no tokenizer.json and no vocab.json + merges.txt"), none.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> PromptTokenizer.open(tmp.resolve("tokenizer_9"), 77));
        assertTrue(missing.getMessage().contains("tokenizer_9"), missing.getMessage());

        Path odd = Files.createDirectories(tmp.resolve("odd"));
        for (String f : List.of("vocab.json", "merges.txt")) {
            Files.copy(DIR.resolve("clip").resolve(f), odd.resolve(f));
        }
        Files.writeString(odd.resolve("tokenizer_config.json"), "{\"pad_token\": \"<|pad|>\"}");
        IllegalArgumentException noLength = assertThrows(IllegalArgumentException.class, () -> PromptTokenizer.open(odd));
        assertTrue(noLength.getMessage().contains("model_max_length"), noLength.getMessage());
        IllegalArgumentException pad = assertThrows(IllegalArgumentException.class, () -> PromptTokenizer.open(odd, 77));
        assertTrue(pad.getMessage().contains("'<|pad|>'"), pad.getMessage());

        Path t5 = Files.createDirectories(tmp.resolve("t5"));
        Files.copy(DIR.resolve("t5/tokenizer.json"), t5.resolve("tokenizer.json"));
        Files.writeString(t5.resolve("tokenizer_config.json"), "{\"pad_token\": \"[PAD]\", \"model_max_length\": 8}");
        IllegalArgumentException t5pad = assertThrows(IllegalArgumentException.class, () -> PromptTokenizer.open(t5));
        assertTrue(t5pad.getMessage().contains("'[PAD]'"), t5pad.getMessage());
        Files.writeString(t5.resolve("tokenizer.json"), "{\"model\": ");
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class, () -> PromptTokenizer.open(t5, 8));
        assertTrue(broken.getMessage().contains("tokenizer.json"), broken.getMessage());
    }
}
