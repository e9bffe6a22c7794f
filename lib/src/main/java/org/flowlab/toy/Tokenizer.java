package org.flowlab.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import org.flowlab.model.OwnedArrays;
import java.util.Locale;
import java.util.Map;

/**
 * Words to ids over a fixed vocabulary: lower-cased, split on anything that is not a letter, {@code <bos>} first,
 * {@code <pad>} to a fixed length, unknown words to {@code <unk>}. The empty prompt (classifier-free guidance's
 * unconditional input) is {@code <bos>} and padding.
 */
public final class Tokenizer {
    public static final String PAD = "<pad>";
    public static final String BOS = "<bos>";
    public static final String UNK = "<unk>";

    /** The toy world's caption grammar plus a few words a user's own captions often hold. */
    public static final List<String> DEFAULT_WORDS = List.of(
            "a", "an", "the", "at", "on", "in", "of", "and", "with", "background",
            "small", "large",
            "circle", "square", "triangle", "diamond", "cross",
            "red", "green", "blue", "yellow", "magenta", "cyan", "orange", "purple",
            "black", "white", "gray",
            "top", "bottom", "left", "right", "center");

    private final List<String> vocabulary;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int maxLength;

    public Tokenizer(List<String> words, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room for words; use 2 or more");
        }
        List<String> vocab = new ArrayList<>(List.of(PAD, BOS, UNK));
        for (String w : words) {
            String lw = w.toLowerCase(Locale.ROOT);
            if (!vocab.contains(lw)) {
                vocab.add(lw);
            }
        }
        this.vocabulary = Collections.unmodifiableList(vocab);
        for (int i = 0; i < vocab.size(); i++) {
            ids.put(vocab.get(i), i);
        }
        this.maxLength = maxLength;
    }

    public int vocabularySize() {
        return vocabulary.size();
    }

    public int maxLength() {
        return maxLength;
    }

    public List<String> vocabulary() {
        return vocabulary;
    }

    public boolean knows(String word) {
        return ids.containsKey(word.toLowerCase(Locale.ROOT));
    }

    /** The words of a caption as the tokenizer sees them. */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** {@code maxLength} ids; words beyond it are dropped (captions longer than that are cut, as CLIP does). */
    public int[] encode(String text) {
        int[] out = new int[maxLength]; // PAD = 0
        out[0] = ids.get(BOS);
        int i = 1;
        for (String w : words(text == null ? "" : text)) {
            if (i >= maxLength) {
                break;
            }
            out[i++] = ids.getOrDefault(w, ids.get(UNK));
        }
        return out;
    }

    /** (B, L) int32 ids. */
    public NDArray encode(List<String> texts, NDManager manager) {
        int[] flat = new int[texts.size() * maxLength];
        for (int b = 0; b < texts.size(); b++) {
            System.arraycopy(encode(texts.get(b)), 0, flat, b * maxLength, maxLength);
        }
        return OwnedArrays.create(manager, flat, new Shape(texts.size(), maxLength));
    }
}
