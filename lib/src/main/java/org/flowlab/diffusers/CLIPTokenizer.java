package org.flowlab.diffusers;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE from a folder holding only {@code vocab.json} and {@code merges.txt}, as diffusers
 * pipelines ship their CLIP tokenizers: text NFC-normalized, whitespace collapsed, lower-cased, split into words,
 * numbers digit by digit and punctuation runs, each word's UTF-8 bytes merged by rank with {@code </w>} marking the
 * word's end; then {@code <|startoftext|>} ... {@code <|endoftext|>}, truncated and padded to the maximum length.
 */
public final class CLIPTokenizer implements PromptTokenizer {
    private static final Logger LOG = Logger.getLogger(CLIPTokenizer.class.getName());
    private static final String END_OF_WORD = "</w>";
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WORDS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final char[] BYTE_CHARS = byteAlphabet();

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> mergeRank;
    private final int maxLength;
    private final int bos;
    private final int eos;
    private final int pad;
    /** Special tokens are matched in the raw text first, longest first, as Hugging Face's added tokens are. */
    private final List<String> specials;
    private final Map<String, List<Integer>> wordCache = new ConcurrentHashMap<>();

    private CLIPTokenizer(Map<String, Integer> vocab, Map<String, Integer> mergeRank, int maxLength, String bos,
                          String eos, String pad, String unk) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length " + maxLength + " leaves no room for the start and end tokens");
        }
        this.vocab = vocab;
        this.mergeRank = mergeRank;
        this.maxLength = maxLength;
        this.bos = id(bos);
        this.eos = id(eos);
        this.pad = id(pad);
        Set<String> s = new LinkedHashSet<>(List.of(bos, eos, pad, unk));
        this.specials = s.stream().filter(vocab::containsKey).sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
    }

    static CLIPTokenizer open(Path folder, TokenizerConfig config, int maxLength) {
        String eos = config.eosToken().orElse("<|endoftext|>");
        return new CLIPTokenizer(readVocab(folder.resolve("vocab.json")), readMerges(folder.resolve("merges.txt")),
                maxLength, config.bosToken().orElse("<|startoftext|>"), eos, config.padToken().orElse(eos),
                config.unkToken().orElse(eos));
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
            List<Integer> body = tokens(prompts.get(i));
            if (body.size() > maxLength - 2) {
                String prompt = prompts.get(i);
                LOG.warning(() -> "a prompt of " + body.size() + " tokens was cut to " + (maxLength - 2)
                        + " (CLIP's limit " + maxLength + " with start and end): " + abbreviated(prompt));
                truncated.add(i);
            }
            long[] row = new long[maxLength];
            java.util.Arrays.fill(row, pad);
            row[0] = bos;
            int n = Math.min(body.size(), maxLength - 2);
            for (int j = 0; j < n; j++) {
                row[1 + j] = body.get(j);
            }
            row[1 + n] = eos;
            ids[i] = row;
        }
        return new Tokens(ids, List.copyOf(truncated));
    }

    private static String abbreviated(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    /** The prompt's token ids, without start, end or padding. */
    List<Integer> tokens(String text) {
        List<Integer> out = new ArrayList<>();
        int from = 0;
        while (from <= text.length()) {
            int at = text.length();
            String special = null;
            for (String s : specials) {
                int k = text.indexOf(s, from);
                if (k >= 0 && k < at) {
                    at = k;
                    special = s;
                }
            }
            words(text.substring(from, at), out);
            if (special == null) {
                break;
            }
            out.add(vocab.get(special));
            from = at + special.length();
        }
        return out;
    }

    private void words(String segment, List<Integer> out) {
        String text = WHITESPACE.matcher(Normalizer.normalize(segment, Normalizer.Form.NFC)).replaceAll(" ")
                .toLowerCase(Locale.ROOT);
        Matcher m = WORDS.matcher(text);
        while (m.find()) {
            out.addAll(wordCache.computeIfAbsent(m.group(), this::bpe));
        }
    }

    /** Merges the word's byte symbols pair by pair, lowest merge rank first. */
    private List<Integer> bpe(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        List<String> symbols = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            symbols.add(String.valueOf(BYTE_CHARS[b & 0xff]));
        }
        symbols.set(symbols.size() - 1, symbols.get(symbols.size() - 1) + END_OF_WORD);
        while (symbols.size() > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                best = Math.min(best, mergeRank.getOrDefault(symbols.get(i) + " " + symbols.get(i + 1), Integer.MAX_VALUE));
            }
            if (best == Integer.MAX_VALUE) {
                break;
            }
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size()
                        && mergeRank.getOrDefault(symbols.get(i) + " " + symbols.get(i + 1), -1) == best) {
                    merged.add(symbols.get(i) + symbols.get(i + 1));
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        List<Integer> ids = new ArrayList<>(symbols.size());
        for (String s : symbols) {
            ids.add(id(s));
        }
        return ids;
    }

    private int id(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("vocab.json has no token '" + token + "'");
        }
        return id;
    }

    /** GPT-2's printable stand-ins for the 256 byte values: printable Latin-1 bytes stand for themselves. */
    private static char[] byteAlphabet() {
        char[] chars = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars[b] = printable ? (char) b : (char) (256 + extra++);
        }
        return chars;
    }

    private static Map<String, Integer> readVocab(Path file) {
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
            Map<String, Integer> vocab = new HashMap<>(o.size() * 2);
            for (Map.Entry<String, JsonElement> e : o.entrySet()) {
                vocab.put(e.getKey(), e.getValue().getAsInt());
            }
            return vocab;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException | NumberFormatException | UnsupportedOperationException e) {
            throw new IllegalArgumentException(file + ": not a map of token to id (" + e.getMessage() + ")", e);
        }
    }

    private static Map<String, Integer> readMerges(Path file) {
        try {
            Map<String, Integer> rank = new HashMap<>();
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank() || (i == 0 && line.startsWith("#version"))) {
                    continue;
                }
                String[] pair = line.split(" ");
                if (pair.length != 2) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + ": '" + line + "' is not two symbols");
                }
                rank.putIfAbsent(pair[0] + " " + pair[1], rank.size());
            }
            return rank;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }
}
