package org.flowlab.ext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.flowlab.model.DiffusionModel;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.TeacherCache;
import org.flowlab.toy.ToyTeacher;
import org.flowlab.train.TrainingLoop;
import org.flowlab.widgets.Box;
import org.flowlab.widgets.Button;
import org.flowlab.widgets.RecordingChannel;
import org.flowlab.widgets.Slider;
import org.flowlab.widgets.Widget;
import org.flowlab.widgets.Widgets;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/** The controls of a live SCFM run, driven as a front end would drive them. */
class ControlsTest {

    @Test
    void slidersTurnKnobsAtTheNextStepAndFollowKnobsTurnedFromCode() throws Exception {
        try (DiffusionModel teacher = ToyTeacher.load(Device.cpu());
             RecordingChannel fe = RecordingChannel.install()) {
            TeacherCache cache = TeacherCache.pregenerate(teacher, List.of("a red circle"), 2, 0,
                    new TeacherCache.Settings(4, 1.0, 1.0), Files.createTempDirectory("controls"), null);
            ScfmConfig config = ScfmConfig.official().toBuilder().lora(2, 2).batchSize(2).seed(3).build();
            try (Scfm scfm = new Scfm(teacher, cache, config)) {
                var run = scfm.start(100_000, null, 0, TrainingLoop.Checkpoints.NONE);
                Box controls = Controls.of(scfm, run);
                assertTrue(Widgets.open(controls));
                Button pause = button(controls, "pause");
                RecordingChannel.userClicks(pause);
                waitFor(() -> run.isPaused() && run.latest() != null, "the run pauses");
                Thread.sleep(300); // the step in progress ends; the run then holds
                long heldAt = run.latest().step();

                Slider ratio = slider(controls, "teacher_ratio");
                assertEquals(config.teacherRatio(), ratio.value(), 1e-12, "the slider starts at the knob's value");
                RecordingChannel.userSets(ratio, "value", 0.7);
                Slider tSkip = slider(controls, "t_skip");
                RecordingChannel.userSets(tSkip, "value", 3);
                assertTrue(tSkip.lastError().contains("t_skip 3"), "refused, naming the value: " + tSkip.lastError());
                assertEquals(config.tSkip(), fe.updates(tSkip).get(0).get("value").getAsInt(), "the slider goes back");
                scfm.setNonShortcutRatio(0.5); // from code, as another cell would
                assertEquals(heldAt, run.latest().step(), "paused: no step taken");
                Widgets.refreshAll();
                assertTrue(fe.updates(slider(controls, "non_shortcut_ratio")).isEmpty(), "not in force before a step");

                RecordingChannel.userClicks(button(controls, "resume"));
                waitFor(() -> scfm.changes().rowCount() == 2, "both changes applied");
                Table changes = scfm.changes();
                assertEquals(List.of("teacher_ratio", "non_shortcut_ratio"), changes.stringColumn("knob").asList());
                assertEquals("0.7", changes.stringColumn("to").get(0));
                assertTrue(changes.longColumn("step").get(0) >= heldAt, "logged with the step it took effect at");
                assertEquals(0.7, scfm.config().teacherRatio());
                Widgets.refreshAll();
                assertEquals(0.5, fe.updates(slider(controls, "non_shortcut_ratio")).get(0).get("value").getAsDouble(),
                        "the code's change moved its slider");
                assertTrue(fe.updates(ratio).isEmpty(), "the user's own change is not sent back");

                RecordingChannel.userClicks(button(controls, "stop"));
                run.join();
                assertFalse(run.isRunning());
                assertTrue(Controls.status(run).endsWith("stopped"), Controls.status(run));
            }
        }
    }

    private static Stream<Widget> all(Widget w) {
        return w instanceof Box b ? Stream.concat(Stream.of(w), b.children().stream().flatMap(ControlsTest::all))
                : Stream.of(w);
    }

    private static Slider slider(Box controls, String name) {
        return all(controls).filter(w -> w instanceof Slider s && s.description().equals(name)).map(w -> (Slider) w)
                .findFirst().orElseThrow();
    }

    private static Button button(Box controls, String name) {
        return all(controls).filter(w -> w instanceof Button b && b.text().equals("[" + name + "]"))
                .map(w -> (Button) w).findFirst().orElseThrow();
    }

    private static void waitFor(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(20);
        }
    }
}
