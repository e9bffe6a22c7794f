package org.flowlab.toy.scenes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flowlab.toy.ShapeAttributes;

/**
 * What a caption of the second toy world says, and only that: each attribute it does not name is null and is drawn
 * per sample ({@link Scenes#draw}), so "a red circle" is a whole distribution of pictures (any position, size,
 * texture, rotation and background) and a few Euler steps must average its modes into blur, as with real prompts.
 *
 * @param objects one to three objects, in painting order
 * @param background the background, or null (free)
 */
public record SceneSpec(List<ObjectSpec> objects, ShapeAttributes.Background background) {

    public static final int MAX_OBJECTS = 3;

    /** How an object's pattern looks: a plain fill, or one of three textures in a darker shade of its colour. */
    public enum Texture {
        PLAIN, STRIPED, CHECKERED, DOTTED
    }

    /** Upright (no rotation) or tilted (20 to 70 degrees); free: any angle. */
    public enum Rotation {
        UPRIGHT, TILTED
    }

    /** One object; a null attribute is free. */
    public record ObjectSpec(ShapeAttributes.Size size, ShapeAttributes.Colour colour, Texture texture,
                             ShapeAttributes.Shape shape, ShapeAttributes.Position position, Rotation rotation) {

        /** An object with every attribute free ("a shape"). */
        public static ObjectSpec any() {
            return new ObjectSpec(null, null, null, null, null, null);
        }

        /** How many of its six attributes the caption names. */
        public int named() {
            int n = 0;
            for (Object a : new Object[] {size, colour, texture, shape, position, rotation}) {
                n += a == null ? 0 : 1;
            }
            return n;
        }

        /** The words for it: {@code a small red striped tilted square at the top left}. */
        public String words() {
            StringBuilder b = new StringBuilder();
            for (Enum<?> e : new Enum<?>[] {size, colour, texture, rotation}) {
                if (e != null) {
                    b.append(word(e)).append(' ');
                }
            }
            b.append(shape == null ? "shape" : word(shape));
            if (position != null) {
                b.append(" at the ").append(position.words());
            }
            String s = b.toString();
            return (startsWithVowel(s) ? "an " : "a ") + s;
        }
    }

    public SceneSpec {
        objects = List.copyOf(objects);
        if (objects.isEmpty() || objects.size() > MAX_OBJECTS) {
            throw new IllegalArgumentException("a scene has 1 to " + MAX_OBJECTS + " objects, not " + objects.size());
        }
    }

    /** The first world's fully named caption as a scene (it reads the same). */
    public static SceneSpec of(ShapeAttributes a) {
        return new SceneSpec(List.of(new ObjectSpec(a.size(), a.colour(), null, a.shape(), a.position(), null)),
                a.background());
    }

    /**
     * The caption in the grammar's canonical form: the objects joined by commas and "and", then the background.
     * A scene of objects with nothing named reads as a count: {@code two shapes on a black background}.
     */
    public String caption() {
        String body;
        if (objects.size() > 1 && objects.stream().allMatch(o -> o.named() == 0)) {
            body = (objects.size() == 2 ? "two" : "three") + " shapes";
        } else {
            List<String> parts = new ArrayList<>();
            objects.forEach(o -> parts.add(o.words()));
            body = parts.size() == 1 ? parts.get(0)
                    : String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
        }
        return background == null ? body : body + " on a " + word(background) + " background";
    }

    /** How many attributes the caption names in all (the background counts as one). */
    public int named() {
        return objects.stream().mapToInt(ObjectSpec::named).sum() + (background == null ? 0 : 1);
    }

    @Override
    public String toString() {
        return caption();
    }

    static String word(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static boolean startsWithVowel(String s) {
        return !s.isEmpty() && "aeiou".indexOf(s.charAt(0)) >= 0;
    }
}
