package org.flowlab.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.flowlab.toy.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ToyShapesTest {

    @Test
    void deterministicFromIndexAndSeed() {
        for (long i = 0; i < 50; i++) {
            ToyShapes.Sample a = ToyShapes.sample(i, 3);
            ToyShapes.Sample b = ToyShapes.sample(i, 3);
            assertEquals(a.attributes(), b.attributes());
            assertArrayEquals(a.image(), b.image(), 0f);
        }
        assertFalse(Arrays.equals(ToyShapes.sample(1, 3).image(), ToyShapes.sample(1, 4).image()), "the seed matters");
        assertFalse(Arrays.equals(ToyShapes.sample(1, 3).image(), ToyShapes.sample(2, 3).image()), "the index matters");
    }

    /**
     * The same images in another JVM: within one JVM every hash is stable, so only a second process can catch a seed
     * that depends on identity hash codes (the metrics' real images once did).
     */
    @Test
    void sameImagesInAnotherJvm() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RenderDigest.class.getName())
                .redirectErrorStream(true).start();
        String other = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), other);
        assertEquals(RenderDigest.digest(), other);
    }

    /** A digest of rendered and sampled images, printed by {@link #main} in a fresh JVM. */
    static final class RenderDigest {
        static String digest() {
            long h = 17;
            for (ShapeAttributes a : ToyShapes.heldOut().subList(0, 20)) {
                for (long seed : new long[] {1, 1_000_000}) {
                    h = 31 * h + Arrays.hashCode(ToyShapes.render(a, seed).image());
                }
            }
            for (long i = 0; i < 20; i++) {
                h = 31 * h + Arrays.hashCode(ToyShapes.sample(i, 5).image());
            }
            return Long.toHexString(h);
        }

        public static void main(String[] args) {
            System.out.println(digest());
        }
    }

    @Test
    void trainingNeverShowsAHeldOutPair() {
        Set<ShapeAttributes> seen = new HashSet<>();
        for (long i = 0; i < 20_000; i++) {
            ShapeAttributes a = ToyShapes.sample(i, 11).attributes();
            assertFalse(ToyShapes.isHeldOut(a), a.caption());
            seen.add(a);
        }
        assertEquals(810, ToyShapes.heldIn().size());
        assertEquals(162, ToyShapes.heldOut().size());
        assertTrue(seen.size() > 800, "20k draws cover (nearly) every held-in combination: " + seen.size());
    }

    @Test
    void imagesShowTheirAttributes() {
        ShapeAttributes a = Captions.parse("a large red circle at the top left on a white background");
        float[] img = ToyShapes.render(a, 1).image();
        int s = ToyShapes.SIZE;
        // the centre of the top-left cell is red (1, -1, -1); the bottom-right corner is white (1, 1, 1)
        int y = 7;
        int x = 7;
        assertEquals(1f, img[(0 * s + y) * s + x], 1e-6);
        assertEquals(-1f, img[(1 * s + y) * s + x], 1e-6);
        assertEquals(-1f, img[(2 * s + y) * s + x], 1e-6);
        for (int c = 0; c < 3; c++) {
            assertEquals(1f, img[(c * s + 30) * s + 30], 1e-6);
        }
        for (float v : img) {
            assertTrue(v >= -1 && v <= 1);
        }
        // a large shape covers more pixels than a small one: radii 5.6 vs 3.4 px, areas (5.6/3.4)^2 = 2.7 apart on
        // average over the +-10% size jitter (a single pair can be as close as 1.8)
        double large = 0;
        double small = 0;
        for (long seed = 1; seed <= 8; seed++) {
            large += countShapePixels(ToyShapes.render(Captions.parse("a large red circle at the center on a white background"), seed).image());
            small += countShapePixels(ToyShapes.render(Captions.parse("a small red circle at the center on a white background"), seed).image());
        }
        assertEquals(2.71, large / small, 0.35, large + " vs " + small);
    }

    static int countShapePixels(float[] img) {
        int s = ToyShapes.SIZE;
        int n = 0;
        for (int i = 0; i < s * s; i++) {
            n += img[s * s + i] < 0 ? 1 : 0; // green channel dark where red sits on white
        }
        return n;
    }

    @Test
    void everyCaptionRoundTripsThroughTheParser() {
        for (ShapeAttributes a : ShapeAttributes.all()) {
            assertEquals(a, Captions.parse(a.caption()));
            for (String w : Tokenizer.words(a.caption())) {
                assertTrue(new Tokenizer(Tokenizer.DEFAULT_WORDS, 16).knows(w), "tokenizer lacks '" + w + "'");
            }
            assertTrue(Tokenizer.words(a.caption()).size() + 1 <= 16, "fits the text length");
        }
        assertEquals("a small cyan triangle at the bottom right on a gray background",
                Captions.parse("  A small CYAN triangle at the bottom right on a gray background ").caption());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a large purple circle at the top on a black background | 'purple'",
        "a huge red circle at the top on a black background      | 'huge'",
        "a large red hexagon at the top on a black background    | 'hexagon'",
        "a large red circle at the middle on a black background  | 'middle'",
        "a large red circle at the top on a pink background      | 'pink'",
        "a large red circle at the top on a black background now | 'now'",
        "a large red circle at the top                           | ends",
        "the large red circle at the top on a black background   | 'the'",
    })
    void badCaptionsNameTheWord(String caption, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Captions.parse(caption));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertFalse(Captions.isValid(caption));
    }
}
