package org.flowlab.toy.scenes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.flowlab.model.Engines;
import org.junit.jupiter.api.Test;

class SceneClassifierTest {

    static double adherence(String caption, Scenes.Scene truth) {
        return SceneClassifier.adherence(SceneCaptions.parse(caption), SceneClassifier.Reading.of(truth));
    }

    @Test
    void adherenceReadsOnlyWhatTheCaptionNames() {
        Scenes.Scene s = Scenes.render(SceneCaptions.parse(
                "a large red plain upright circle at the top left and a small blue striped tilted square at the bottom"
                        + " on a white background"), 3).scene();
        assertEquals(1.0, adherence("a red circle", s), "two named attributes, both shown");
        assertEquals(1.0, adherence("a blue square and a circle on a white background", s));
        assertEquals(1.0, adherence("two shapes", s));
        assertEquals(0.0, adherence("three shapes", s), "the count is wrong");
        assertEquals(0.5, adherence("a red triangle", s), 1e-12, "the colour is right, the shape wrong");
        assertEquals(0.0, adherence("a red circle at the center", s), "nothing at the centre: position, colour and"
                + " shape all unmet (a positioned object is looked for in its cell only)");
        assertEquals(0.75, adherence("a large red circle on a black background", s), 1e-12, "3 of 4: the background is wrong");
        assertTrue(Double.isNaN(adherence("a shape", s)), "nothing named, nothing to score");
        assertEquals(1.0, adherence("a tilted red circle", s), "a circle shows no rotation: a named one is met");
        assertEquals(2 / 3.0, adherence("an upright blue square", s), 1e-12, "the square is tilted");

        // every training caption is met by its own picture
        for (long i = 0; i < 300; i++) {
            Scenes.Sample t = Scenes.sample(i, 1);
            double a = SceneClassifier.adherence(t.spec(), SceneClassifier.Reading.of(t.scene()));
            assertTrue(Double.isNaN(a) || a == 1.0, t.caption() + ": " + a);
        }
    }

    @Test
    void trainingLowersItsLossAndReadsScenes() {
        Engines.prepareThread();
        try (SceneClassifier c = new SceneClassifier(Device.cpu(), 1)) {
            List<Double> losses = c.train(80, 16, 0, p -> { });
            double first = losses.subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double last = losses.subList(75, 80).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            System.out.printf(java.util.Locale.ROOT, "scene classifier loss %.3f -> %.3f%n", first, last);
            assertTrue(last < 0.7 * first, "loss falls: " + first + " -> " + last);
            List<Scenes.Sample> samples = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                samples.add(Scenes.sample(500 + i, 0));
            }
            try (NDManager m = c.manager().newSubManager()) {
                var x = Scenes.batch(samples, m);
                assertEquals(4, c.read(x).size());
                assertEquals(SceneClassifier.FEATURES, c.featureRows(x)[0].length);
            }
        }
    }

    /** The shipped judge is found in the repository's models/ folder and reads a scene; a missing file is named. */
    @Test
    void theShippedJudgeLoadsFromTheModelsFolder() throws Exception {
        try (SceneClassifier judge = SceneClassifier.loadShipped(Device.cpu());
             NDManager m = judge.manager().newSubManager()) {
            Scenes.Sample s = Scenes.sample(4, 9);
            double a = SceneClassifier.adherence(s.spec(), judge.read(Scenes.batch(List.of(s), m)).get(0));
            assertTrue(Double.isNaN(a) || a > 0.5, "the shipped judge reads a fresh scene: " + a);
        }
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> org.flowlab.toy.ToyModelFiles.shipped("no-such-model.safetensors"));
        assertTrue(e.getMessage().contains("no-such-model.safetensors"), e.getMessage());
    }
}
