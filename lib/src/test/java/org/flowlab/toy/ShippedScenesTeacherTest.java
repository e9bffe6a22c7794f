package org.flowlab.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.ImageMetrics;
import org.flowlab.eval.Methods;
import org.flowlab.model.DiffusionModel;
import org.junit.jupiter.api.Test;

/**
 * The second world's shipped teacher (models/scenes-teacher.safetensors) is the pixel preset that predicts the clean
 * image, carries the command that made it, and shows the failure the methods exist for: from the same noise, 3 plain
 * Euler steps on short captions land far from 32 steps, while 50 land nearer (docs/TOY-WORLD-2.md has the report).
 */
class ShippedScenesTeacherTest {

    @Test
    void theShippedScenesTeacherBlursAtThreeSteps() throws IOException {
        var file = ToyModelFiles.shipped("scenes-teacher.safetensors");
        assertTrue(ToyModelFiles.metadata(file).get("flowlab.command")
                .matches("\\./flowlab teacher train .*--world scenes.*"));
        try (DiffusionModel teacher = ToyModelFiles.load(file, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            assertTrue(ToyModel.isScenes(teacher));
            assertEquals(DiTConfig.scenePixels(), ToyModel.transformer(teacher).config());
            // short captions leave most of the scene open: that is where few steps average the possibilities
            List<String> prompts = List.of("a red circle", "two shapes", "a large blue square", "a striped triangle");
            long[] seeds = {0, 1, 2, 3};
            float[][] at32 = Evaluation.images(Methods.teacher(teacher, 32), prompts, seeds, m).data();
            float[][] at3 = Evaluation.images(Methods.teacher(teacher, 3), prompts, seeds, m).data();
            float[][] at50 = Evaluation.images(Methods.teacher(teacher, 50), prompts, seeds, m).data();
            // on average: the flow of an open caption can fork late, so one prompt's 50-step sample may pick another scene
            double three = 0;
            double fifty = 0;
            for (int i = 0; i < prompts.size(); i++) {
                three += ImageMetrics.psnr(at3[i], at32[i]) / prompts.size();
                fifty += ImageMetrics.psnr(at50[i], at32[i]) / prompts.size();
            }
            assertTrue(three < 22, "3 steps are " + three + " dB from 32 on average");
            assertTrue(fifty > three + 3, "50 steps are " + fifty + " dB from 32 on average, 3 steps " + three + " dB");
        }
    }
}
