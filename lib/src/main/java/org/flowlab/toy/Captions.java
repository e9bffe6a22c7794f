package org.flowlab.toy;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Parses captions of the toy grammar back into attributes; anything outside it is an error naming the word. */
public final class Captions {
    private Captions() {
    }

    /**
     * @throws IllegalArgumentException naming the first word that does not fit
     *     {@code a {size} {colour} {shape} at the {position} on a {background} background}
     */
    public static ShapeAttributes parse(String caption) {
        if (caption == null || caption.isBlank()) {
            throw new IllegalArgumentException("the caption is empty; the toy grammar is 'a {size} {colour} {shape} at"
                    + " the {position} on a {background} background'");
        }
        List<String> w = Arrays.asList(caption.trim().toLowerCase(Locale.ROOT).split("\\s+"));
        Cursor c = new Cursor(caption, w);
        c.expect("a");
        ShapeAttributes.Size size = c.pick(ShapeAttributes.Size.class, "size");
        ShapeAttributes.Colour colour = c.pick(ShapeAttributes.Colour.class, "colour");
        ShapeAttributes.Shape shape = c.pick(ShapeAttributes.Shape.class, "shape");
        c.expect("at");
        c.expect("the");
        ShapeAttributes.Position position = c.position();
        c.expect("on");
        c.expect("a");
        ShapeAttributes.Background background = c.pick(ShapeAttributes.Background.class, "background");
        c.expect("background");
        c.end();
        return new ShapeAttributes(size, colour, shape, position, background);
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

    private static final class Cursor {
        final String caption;
        final List<String> words;
        int i;

        Cursor(String caption, List<String> words) {
            this.caption = caption;
            this.words = words;
        }

        String next(String wanted) {
            if (i >= words.size()) {
                throw new IllegalArgumentException("caption '" + caption + "' ends where " + wanted + " should come");
            }
            return words.get(i++);
        }

        void expect(String word) {
            String got = next("'" + word + "'");
            if (!got.equals(word)) {
                throw unknown(got, "'" + word + "'");
            }
        }

        <E extends Enum<E>> E pick(Class<E> type, String what) {
            String got = next("a " + what);
            for (E e : type.getEnumConstants()) {
                if (ShapeAttributes.word(e).equals(got)) {
                    return e;
                }
            }
            throw unknown(got, "a " + what + " (" + Arrays.stream(type.getEnumConstants()).map(ShapeAttributes::word)
                    .collect(Collectors.joining("|")) + ")");
        }

        ShapeAttributes.Position position() {
            String first = next("a position");
            ShapeAttributes.Position two = i < words.size() ? ShapeAttributes.Position.named(first + " " + words.get(i)) : null;
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

        void end() {
            if (i < words.size()) {
                throw unknown(words.get(i), "the end of the caption");
            }
        }

        IllegalArgumentException unknown(String word, String expected) {
            return new IllegalArgumentException("caption '" + caption + "': unknown word '" + word + "' where "
                    + expected + " should be");
        }
    }
}
