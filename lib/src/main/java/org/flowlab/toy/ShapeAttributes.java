package org.flowlab.toy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one toy image shows, and its caption: {@code a {size} {colour} {shape} at the {position} on a {background}
 * background}.
 */
public record ShapeAttributes(Size size, Colour colour, Shape shape, Position position, Background background) {

    public enum Size {
        SMALL(3.4), LARGE(5.6);

        /** Radius in pixels on the 32x32 canvas. */
        final double radius;

        Size(double radius) {
            this.radius = radius;
        }
    }

    public enum Shape {
        CIRCLE, SQUARE, TRIANGLE
    }

    /** The ordinary colours, drawn as their pure RGB values. */
    public enum Colour {
        RED(1, 0, 0), GREEN(0, 1, 0), BLUE(0, 0, 1), YELLOW(1, 1, 0), MAGENTA(1, 0, 1), CYAN(0, 1, 1);

        final float r;
        final float g;
        final float b;

        Colour(float r, float g, float b) {
            this.r = r;
            this.g = g;
            this.b = b;
        }

        public float[] rgb() {
            return new float[] {r, g, b};
        }
    }

    public enum Background {
        BLACK(0f), WHITE(1f), GRAY(0.5f);

        final float level;

        Background(float level) {
            this.level = level;
        }
    }

    /** A 3x3 grid; {@code col}, {@code row} in 0..2. */
    public enum Position {
        TOP_LEFT(0, 0), TOP(1, 0), TOP_RIGHT(2, 0),
        LEFT(0, 1), CENTER(1, 1), RIGHT(2, 1),
        BOTTOM_LEFT(0, 2), BOTTOM(1, 2), BOTTOM_RIGHT(2, 2);

        final int col;
        final int row;

        Position(int col, int row) {
            this.col = col;
            this.row = row;
        }

        public String words() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }

        /** The position these words name ("top left", "center"), or null. */
        public static Position named(String words) {
            for (Position p : values()) {
                if (p.words().equals(words)) {
                    return p;
                }
            }
            return null;
        }

        /** Every position's words, for error messages. */
        public static String choices() {
            return java.util.Arrays.stream(values()).map(Position::words).collect(java.util.stream.Collectors.joining("|"));
        }
    }

    public String caption() {
        return "a " + word(size) + " " + word(colour) + " " + word(shape) + " at the " + position.words() + " on a "
                + word(background) + " background";
    }

    /** The caption's words for each attribute, in the order of {@link #attributeNames()}. */
    public List<String> values() {
        return List.of(word(size), word(shape), word(colour), position.words(), word(background));
    }

    /** The five attributes a classifier reads, in a fixed order. */
    public static List<String> attributeNames() {
        return List.of("size", "shape", "colour", "position", "background");
    }

    /** How many values each attribute has, in {@link #attributeNames()} order. */
    public static int[] attributeCardinalities() {
        return new int[] {Size.values().length, Shape.values().length, Colour.values().length,
            Position.values().length, Background.values().length};
    }

    /** The value index of each attribute, in {@link #attributeNames()} order. */
    public int[] labels() {
        return new int[] {size.ordinal(), shape.ordinal(), colour.ordinal(), position.ordinal(), background.ordinal()};
    }

    /** Every combination (2 x 3 x 6 x 9 x 3 = 972). */
    public static List<ShapeAttributes> all() {
        List<ShapeAttributes> out = new ArrayList<>();
        for (Size s : Size.values()) {
            for (Colour c : Colour.values()) {
                for (Shape sh : Shape.values()) {
                    for (Position p : Position.values()) {
                        for (Background b : Background.values()) {
                            out.add(new ShapeAttributes(s, c, sh, p, b));
                        }
                    }
                }
            }
        }
        return out;
    }

    static String word(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return caption();
    }
}
