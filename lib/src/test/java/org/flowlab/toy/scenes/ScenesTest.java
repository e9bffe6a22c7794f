package org.flowlab.toy.scenes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.flowlab.toy.ShapeAttributes;
import org.flowlab.toy.ShapeAttributes.Colour;
import org.flowlab.toy.ShapeAttributes.Position;
import org.flowlab.toy.ShapeAttributes.Shape;
import org.flowlab.toy.ShapeAttributes.Size;
import org.flowlab.toy.scenes.SceneSpec.Rotation;
import org.flowlab.toy.scenes.SceneSpec.Texture;
import org.junit.jupiter.api.Test;

class ScenesTest {

    @Test
    void everyCaptionOfTheFirstWorldReadsTheSame() {
        for (ShapeAttributes a : ShapeAttributes.all()) {
            SceneSpec s = SceneCaptions.parse(a.caption());
            assertEquals(SceneSpec.of(a), s, a.caption());
            assertEquals(a.caption(), s.caption());
        }
    }

    @Test
    void captionsLeaveAttributesOpen() {
        SceneSpec red = SceneCaptions.parse("a red circle");
        assertEquals(1, red.objects().size());
        var o = red.objects().get(0);
        assertEquals(Colour.RED, o.colour());
        assertEquals(Shape.CIRCLE, o.shape());
        assertNull(o.size());
        assertNull(o.position());
        assertNull(o.texture());
        assertNull(red.background());
        assertEquals(2, red.named());

        SceneSpec two = SceneCaptions.parse("two shapes on a black background");
        assertEquals(2, two.objects().size());
        assertEquals(0, two.objects().get(0).named());
        assertEquals(ShapeAttributes.Background.BLACK, two.background());
        assertEquals("two shapes on a black background", two.caption());

        SceneSpec three = SceneCaptions.parse("a striped small blue square at the top left, tilted, a green shape and"
                + " an upright triangle");
        assertEquals(3, three.objects().size());
        var first = three.objects().get(0);
        assertEquals(List.of(Size.SMALL, Colour.BLUE, Texture.STRIPED, Shape.SQUARE, Position.TOP_LEFT, Rotation.TILTED),
                List.of(first.size(), first.colour(), first.texture(), first.shape(), first.position(), first.rotation()));
        assertNull(three.objects().get(1).shape(), "'shape' leaves the shape open");
        assertEquals(Rotation.UPRIGHT, three.objects().get(2).rotation());
        assertEquals("a small blue striped tilted square at the top left, a green shape and an upright triangle",
                three.caption());
        assertMessage("a tilted circle, upright", "rotation of one object twice ('tilted', then 'upright')");
    }

    @Test
    void canonicalCaptionsReadBackToTheSameSpec() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        for (int i = 0; i < 2000; i++) {
            SceneSpec s = Scenes.trainingSpec(rng);
            assertEquals(s, SceneCaptions.parse(s.caption()), s.caption());
        }
    }

    @Test
    void badCaptionsNameTheWord() {
        assertMessage("a purple circle", "'purple'");
        assertMessage("a small large circle", "size of one object twice ('small', then 'large')");
        assertMessage("a red blue square", "colour of one object twice ('red', then 'blue')");
        assertMessage("a red circle at the top and a blue square at the top", "two objects at the top");
        assertMessage("a circle, a square, a triangle and a circle", "at most 3 objects");
        assertMessage("a red circle on a purple background", "'purple'");
        assertMessage("a red circle please", "'please'");
        assertMessage("", "empty");
    }

    static void assertMessage(String caption, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SceneCaptions.parse(caption));
        assertTrue(e.getMessage().contains(part), caption + " -> " + e.getMessage());
    }

    @Test
    void aShortCaptionIsManyPictures() {
        SceneSpec red = SceneCaptions.parse("a red circle");
        Set<Position> cells = EnumSet.noneOf(Position.class);
        Set<Size> sizes = EnumSet.noneOf(Size.class);
        Set<Texture> textures = EnumSet.noneOf(Texture.class);
        Set<ShapeAttributes.Background> backgrounds = EnumSet.noneOf(ShapeAttributes.Background.class);
        for (long seed = 0; seed < 200; seed++) {
            Scenes.Scene s = Scenes.render(red, seed).scene();
            Scenes.Drawn d = s.objects().get(0);
            assertEquals(Colour.RED, d.colour());
            assertEquals(Shape.CIRCLE, d.shape());
            cells.add(d.position());
            sizes.add(d.size());
            textures.add(d.texture());
            backgrounds.add(s.background());
        }
        assertEquals(9, cells.size(), "every cell");
        assertEquals(2, sizes.size());
        assertEquals(4, textures.size());
        assertEquals(3, backgrounds.size());

        SceneSpec full = SceneCaptions.parse("a large green plain square at the center, upright on a white background");
        Scenes.Scene s = Scenes.render(full, 7).scene();
        Scenes.Drawn d = s.objects().get(0);
        assertEquals(List.of(Size.LARGE, Colour.GREEN, Texture.PLAIN, Shape.SQUARE, Position.CENTER, Rotation.UPRIGHT),
                List.of(d.size(), d.colour(), d.texture(), d.shape(), d.position(), d.rotation()));
        assertEquals(0.0, d.angle());
        float[] img = Scenes.render(s);
        int x = (int) d.cx();
        int y = (int) d.cy();
        int n = Scenes.SIZE * Scenes.SIZE;
        assertEquals(-1f, img[y * Scenes.SIZE + x], 1e-6, "no red at the centre of a green square");
        assertEquals(1f, img[n + y * Scenes.SIZE + x], 1e-6, "full green");
        assertEquals(1f, img[0], 1e-6, "white background in the corner");
    }

    @Test
    void trainingNeverShowsAHeldOutPairAndPicturesAreDeterministic() {
        int full = 0;
        int multi = 0;
        for (long i = 0; i < 2000; i++) {
            Scenes.Sample s = Scenes.sample(i, 0);
            assertFalse(Scenes.isHeldOut(s.spec()), s.caption());
            for (Scenes.Drawn d : s.scene().objects()) {
                assertFalse(Scenes.HELD_OUT_PAIRS.contains(List.of(d.colour(), d.shape())), s.caption() + " drew " + d);
            }
            full += s.spec().objects().size() == 1 && s.spec().objects().get(0).named() == 6 ? 1 : 0;
            multi += s.spec().objects().size() > 1 ? 1 : 0;
            for (float v : s.image()) {
                assertTrue(v >= -1 && v <= 1);
            }
        }
        assertTrue(full > 300 && full < 500, "about a fifth fully named: " + full);
        assertTrue(multi > 500 && multi < 780, "two or three objects in about 32% (0.8 x 0.4): " + multi);
        assertArrayEquals(Scenes.sample(5, 1).image(), Scenes.sample(5, 1).image());
        long heldOutDrawn = java.util.stream.LongStream.range(0, 500).mapToObj(i -> Scenes.judgeSample(i, 0))
                .flatMap(j -> j.scene().objects().stream())
                .filter(d -> Scenes.HELD_OUT_PAIRS.contains(List.of(d.colour(), d.shape()))).count();
        assertTrue(heldOutDrawn > 20, "the judge's scenes show held-out pairs too: " + heldOutDrawn);
        assertTrue(Scenes.isHeldOut(SceneCaptions.parse("a red triangle")));
        assertFalse(Scenes.isHeldOut(SceneCaptions.parse("a red shape")), "a free shape is not a held-out pair");
    }
}
