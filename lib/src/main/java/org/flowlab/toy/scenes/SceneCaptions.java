package org.flowlab.toy.scenes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.flowlab.toy.ShapeAttributes;
import org.flowlab.toy.scenes.SceneSpec.ObjectSpec;
import org.flowlab.toy.scenes.SceneSpec.Rotation;
import org.flowlab.toy.scenes.SceneSpec.Texture;

/**
 * Reads captions of the second toy world:
 * <pre>
 *   scene   := objects [ "on" "a" background "background" ]
 *   objects := ("two" | "three") "shapes" | object { "," object } [ "and" object ]
 *   object  := ("a" | "an") { size | colour | texture | rotation } (shape | "shape") [ "at" "the" position ]
 *              [ [","] rotation ]
 * </pre>
 * Size, colour, texture and rotation come in any order, each at most once. Every caption of the first world
 * ({@code a large red circle at the center on a white background}) is one of these. A word outside the grammar, an
 * attribute named twice for one object, two objects at one position or more than three objects is an error that
 * names the word.
 */
public final class SceneCaptions {
    /** Every word the grammar uses, for a word-level tokenizer (the comma is not a word: "and" and order remain). */
    public static final List<String> WORDS;

    static {
        List<String> w = new ArrayList<>(List.of("a", "an", "the", "at", "on", "and", "background", "shape", "shapes",
                "two", "three", "top", "bottom", "left", "right", "center"));
        for (Class<? extends Enum<?>> e : List.<Class<? extends Enum<?>>>of(ShapeAttributes.Size.class,
                ShapeAttributes.Colour.class, Texture.class, Rotation.class, ShapeAttributes.Shape.class,
                ShapeAttributes.Background.class)) {
            for (Enum<?> v : e.getEnumConstants()) {
                w.add(SceneSpec.word(v));
            }
        }
        WORDS = List.copyOf(new java.util.LinkedHashSet<>(w));
    }

    private SceneCaptions() {
    }

    public static SceneSpec parse(String caption) {
        if (caption == null || caption.isBlank()) {
            throw new IllegalArgumentException("the caption is empty; say what to draw, e.g. 'a red circle' or"
                    + " 'two shapes on a black background'");
        }
        List<String> words = new ArrayList<>();
        for (String w : caption.trim().toLowerCase(Locale.ROOT).replace(",", " , ").split("\\s+")) {
            if (!w.isEmpty()) {
                words.add(w);
            }
        }
        return new Reader(caption, words).scene();
    }

    /** Whether the caption fits the grammar. */
    public static boolean isValid(String caption) {
        try {
            parse(caption);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static final class Reader {
        final String caption;
        final List<String> w;
        int i;

        Reader(String caption, List<String> words) {
            this.caption = caption;
            this.w = words;
        }

        SceneSpec scene() {
            List<ObjectSpec> objects = new ArrayList<>();
            if (peek("two") || peek("three")) {
                int n = next("a count").equals("two") ? 2 : 3;
                expect("shapes");
                for (int k = 0; k < n; k++) {
                    objects.add(ObjectSpec.any());
                }
            } else {
                objects.add(object());
                while (peek(",") || peek("and")) {
                    boolean last = next("',' or 'and'").equals("and");
                    if (objects.size() == SceneSpec.MAX_OBJECTS) {
                        throw error("a scene holds at most " + SceneSpec.MAX_OBJECTS + " objects; '" + w.get(i - 1)
                                + "' starts a fourth");
                    }
                    objects.add(object());
                    if (last) {
                        break;
                    }
                }
            }
            ShapeAttributes.Background background = null;
            if (peek("on")) {
                i++;
                article();
                background = pick(ShapeAttributes.Background.class, "a background");
                expect("background");
            }
            if (i < w.size()) {
                throw unknown(w.get(i), "'and', ',', 'on a ... background' or the end of the caption");
            }
            requireDistinctPositions(objects);
            return new SceneSpec(objects, background);
        }

        ObjectSpec object() {
            article();
            ShapeAttributes.Size size = null;
            ShapeAttributes.Colour colour = null;
            Texture texture = null;
            Rotation rotation = null;
            while (true) {
                String word = word("a size, colour, texture or shape");
                ShapeAttributes.Size s = match(ShapeAttributes.Size.class, word);
                ShapeAttributes.Colour c = match(ShapeAttributes.Colour.class, word);
                Texture t = match(Texture.class, word);
                Rotation r = match(Rotation.class, word);
                if (s != null) {
                    size = once(size, s, "size", word);
                } else if (c != null) {
                    colour = once(colour, c, "colour", word);
                } else if (t != null) {
                    texture = once(texture, t, "texture", word);
                } else if (r != null) {
                    rotation = once(rotation, r, "rotation", word);
                } else {
                    break;
                }
                i++;
            }
            ShapeAttributes.Shape shape = null;
            if (peek("shape")) {
                i++;
            } else {
                String got = next("a shape");
                shape = match(ShapeAttributes.Shape.class, got);
                if (shape == null) {
                    throw unknown(got, "a size (" + choices(ShapeAttributes.Size.class) + "), colour ("
                            + choices(ShapeAttributes.Colour.class) + "), texture (" + choices(Texture.class)
                            + "), rotation (" + choices(Rotation.class) + ") or shape ("
                            + choices(ShapeAttributes.Shape.class) + "|shape)");
                }
            }
            ShapeAttributes.Position position = null;
            if (peek("at")) {
                i++;
                expect("the");
                position = position();
            }
            int mark = i;
            if (peek(",")) {
                i++;
            }
            if (i < w.size() && match(Rotation.class, w.get(i)) != null) {
                String word = w.get(i++);
                rotation = once(rotation, match(Rotation.class, word), "rotation", word);
            } else {
                i = mark; // a comma that starts the next object
            }
            return new ObjectSpec(size, colour, texture, shape, position, rotation);
        }

        void article() {
            String got = next("'a'");
            if (!got.equals("a") && !got.equals("an")) {
                throw unknown(got, "'a'");
            }
        }

        ShapeAttributes.Position position() {
            String first = next("a position");
            ShapeAttributes.Position two = i < w.size() ? ShapeAttributes.Position.named(first + " " + w.get(i)) : null;
            if (two != null) {
                i++;
                return two;
            }
            ShapeAttributes.Position one = ShapeAttributes.Position.named(first);
            if (one == null) {
                throw unknown(first, "a position (" + ShapeAttributes.Position.choices() + ")");
            }
            return one;
        }

        <E extends Enum<E>> E pick(Class<E> type, String what) {
            String got = next(what);
            E e = match(type, got);
            if (e == null) {
                throw unknown(got, what + " (" + choices(type) + ")");
            }
            return e;
        }

        <T> T once(T before, T now, String what, String word) {
            if (before != null) {
                throw error("it names the " + what + " of one object twice ('" + SceneSpec.word((Enum<?>) before)
                        + "', then '" + word + "')");
            }
            return now;
        }

        void requireDistinctPositions(List<ObjectSpec> objects) {
            for (int a = 0; a < objects.size(); a++) {
                for (int b = a + 1; b < objects.size(); b++) {
                    ShapeAttributes.Position p = objects.get(a).position();
                    if (p != null && p == objects.get(b).position()) {
                        throw error("two objects at the " + p.words() + ": at '" + p.words() + "' stands one object");
                    }
                }
            }
        }

        boolean peek(String word) {
            return i < w.size() && w.get(i).equals(word);
        }

        String word(String wanted) {
            if (i >= w.size()) {
                throw error("it ends where " + wanted + " should come");
            }
            return w.get(i);
        }

        String next(String wanted) {
            String s = word(wanted);
            i++;
            return s;
        }

        void expect(String word) {
            String got = next("'" + word + "'");
            if (!got.equals(word)) {
                throw unknown(got, "'" + word + "'");
            }
        }

        static <E extends Enum<E>> E match(Class<E> type, String word) {
            for (E e : type.getEnumConstants()) {
                if (SceneSpec.word(e).equals(word)) {
                    return e;
                }
            }
            return null;
        }

        static <E extends Enum<E>> String choices(Class<E> type) {
            return Arrays.stream(type.getEnumConstants()).map(SceneSpec::word).collect(Collectors.joining("|"));
        }

        IllegalArgumentException unknown(String word, String expected) {
            return error("unknown word '" + word + "' where " + expected + " should be");
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("caption '" + caption + "': " + what);
        }
    }
}
