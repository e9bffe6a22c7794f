package org.flowlab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.flowlab.toy.AttributeClassifier;
import org.flowlab.toy.Captions;
import org.flowlab.toy.ToyMetrics;
import org.flowlab.toy.ToyShapes;
import org.flowlab.flow.Noise;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Metric sanity with the shipped classifier: real images score like the classifier, noise scores badly. */
class EvaluationTest {
    static AttributeClassifier classifier;
    static final Evaluation.Settings SETTINGS = new Evaluation.Settings(12, 3, 5, 3, 1);

    @BeforeAll
    static void load() throws IOException {
        classifier = AttributeClassifier.load(Device.cpu());
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    /** Returns for (prompt, seed s) exactly the real render the Frechet reference uses for its s-th image. */
    static Method real() {
        return stand("real", (prompts, seeds, m) -> {
            List<ToyShapes.Sample> samples = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                samples.add(ToyShapes.render(Captions.parse(prompts.get(i)), 1_000_000 + seeds[i]));
            }
            return ToyShapes.batch(samples, m);
        });
    }

    static Method noise() {
        return stand("noise", (prompts, seeds, m) -> Noise.forSeeds(m, seeds, 3, 32, 32).clip(-1, 1));
    }

    interface Generator {
        NDArray generate(List<String> prompts, long[] seeds, NDManager m);
    }

    static Method stand(String name, Generator g) {
        return new Method() {
            public String name() {
                return name;
            }

            public int steps() {
                return 0;
            }

            public int nfe() {
                return 0;
            }

            public double loraScale() {
                return 0;
            }

            public double shift() {
                return 0;
            }

            public NDArray generate(List<String> prompts, long[] seeds, NDManager m) {
                return g.generate(prompts, seeds, m);
            }
        };
    }

    @Test
    void realImagesScoreLikeTheClassifierAndNoiseScoresBadly() {
        List<Evaluation.Row> rows = Evaluation.run(real(), List.of(noise()), new ToyMetrics(classifier, SETTINGS.realPerPrompt()),
                SETTINGS, p -> { });
        assertEquals(4, rows.size(), "two methods x held-in and held-out");
        for (Evaluation.Row r : rows) {
            if (r.method().equals("real")) {
                assertTrue(r.metric("adherence") > 0.98, "real images: adherence " + r.metric("adherence") + " (classifier accuracy ~1)");
                assertEquals(0, r.metric("frechet"), 1e-3, "the same images as the reference set");
                assertEquals(Double.POSITIVE_INFINITY, r.psnr(), "fidelity to itself");
            } else {
                assertTrue(r.metric("adherence") < 0.5, "noise: adherence " + r.metric("adherence"));
                assertTrue(r.metric("frechet") > 10, "noise: Frechet " + r.metric("frechet"));
                assertTrue(r.psnr() < 10, "noise: PSNR " + r.psnr());
            }
            assertTrue(r.msPerImageBatch1() >= 0 && r.msPerImageBatch16() >= 0);
        }
        for (String set : List.of("held-in", "held-out")) {
            Evaluation.Row real = rows.stream().filter(r -> r.method().equals("real") && r.prompts().equals(set)).findFirst()
                    .orElseThrow();
            Evaluation.Row noise = rows.stream().filter(r -> r.method().equals("noise") && r.prompts().equals(set))
                    .findFirst().orElseThrow();
            Estimate a = real.estimate("adherence");
            assertTrue(a.hasInterval() && a.low() <= a.value() && a.value() <= a.high(), "an interval over prompts: " + a);
            assertTrue(a.clearlyAbove(noise.estimate("adherence")), set + ": " + a + " vs " + noise.estimate("adherence"));
            assertTrue(noise.estimate("frechet").clearlyAbove(real.estimate("frechet")), set + ": Frechet "
                    + noise.estimate("frechet") + " vs " + real.estimate("frechet"));
            assertTrue(noise.estimate(Evaluation.Row.PSNR).hasInterval(), "PSNR too: " + noise.estimate(Evaluation.Row.PSNR));
        }
        var table = Evaluation.table("sanity", rows);
        assertEquals(4, table.rowCount());
        String md = Evaluation.markdown(table);
        assertTrue(md.contains("| held-out |"));
        assertTrue(md.contains("adherence_95") && md.contains("frechet_95") && md.contains("psnr_db_95"), md);
    }

    @Test
    void psnrAndMse() {
        float[] a = {0, 0, 0, 0};
        float[] b = {1, -1, 1, -1};
        assertEquals(1.0, ImageMetrics.mse(a, b), 0);
        assertEquals(10 * Math.log10(4), ImageMetrics.psnr(a, b), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnr(a, a));
    }
}
