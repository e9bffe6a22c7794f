package org.flowlab.widgets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WidgetsTest {

    @Test
    void aSliderOpensAfterItsLayoutAndStyleWithTheControlsModelState() {
        var value = new AtomicReference<>(0.25);
        Slider s = Slider.of("teacher_ratio", 0, 1, 0.05, value::get, value::set);
        try (RecordingChannel fe = RecordingChannel.install()) {
            assertTrue(Widgets.open(s));
            assertEquals(3, fe.sent.size(), "layout, style, slider");
            JsonObject layout = fe.sent.get(0).state();
            JsonObject style = fe.sent.get(1).state();
            JsonObject slider = fe.opening(s).state();
            assertEquals("LayoutModel", layout.get("_model_name").getAsString());
            assertEquals("@jupyter-widgets/base", layout.get("_model_module").getAsString());
            assertEquals("SliderStyleModel", style.get("_model_name").getAsString());
            assertEquals("FloatSliderModel", slider.get("_model_name").getAsString());
            assertEquals("FloatSliderView", slider.get("_view_name").getAsString());
            assertEquals("@jupyter-widgets/controls", slider.get("_model_module").getAsString());
            assertEquals("2.0.0", slider.get("_model_module_version").getAsString());
            assertEquals(0.25, slider.get("value").getAsDouble());
            assertEquals(1.0, slider.get("max").getAsDouble());
            assertEquals("IPY_MODEL_" + fe.sent.get(0).id(), slider.get("layout").getAsString());
            assertEquals("IPY_MODEL_" + fe.sent.get(1).id(), slider.get("style").getAsString());
            assertEquals(s.id(), fe.opening(s).id());
            JsonObject view = Widgets.view(s);
            assertEquals(2, view.get("version_major").getAsInt());
            assertEquals(s.id(), view.get("model_id").getAsString());
            assertTrue(Widgets.open(s), "open once");
            assertEquals(3, fe.sent.size());
        }
    }

    @Test
    void movingTheSliderCallsTheSetterAndCodeChangesMoveTheSlider() {
        var value = new AtomicReference<>(0.4);
        Slider s = Slider.of("teacher_ratio", 0, 1, 0.05, value::get, v -> {
            if (v > 0.9) {
                throw new IllegalArgumentException("teacher_ratio " + v + " is too high");
            }
            value.set(v);
        });
        try (RecordingChannel fe = RecordingChannel.install()) {
            Widgets.open(s);
            RecordingChannel.userSets(s, "value", 0.7);
            assertEquals(0.7, value.get(), "the setter ran");
            assertEquals(0.7, s.value());
            assertTrue(fe.updates(s).isEmpty(), "no echo of the user's own change");
            Widgets.refreshAll();
            assertTrue(fe.updates(s).isEmpty(), "the value in force matches the slider: nothing to send");

            RecordingChannel.userSets(s, "value", 0.95);
            assertEquals(0.7, value.get(), "refused");
            assertTrue(s.lastError().contains("0.95"), s.lastError());
            assertEquals(0.7, fe.updates(s).get(0).get("value").getAsDouble(), "the slider goes back");

            value.set(0.1); // another cell turns the knob
            Widgets.refreshAll();
            assertEquals(0.1, fe.updates(s).get(1).get("value").getAsDouble(), "the slider follows the code");
            assertEquals(0.1, s.value());
            assertEquals(2, fe.updates(s).size());
        }
    }

    @Test
    void intAndLogSlidersButtonsBoxesAndLabels() {
        var tSkip = new AtomicInteger(2);
        var lr = new AtomicReference<>(2e-4);
        var clicks = new AtomicInteger();
        var status = new AtomicReference<>("running");
        Slider t = Slider.ofInt("t_skip", 1, 16, 1, tSkip::get, tSkip::set);
        Slider l = Slider.log("learning rate", 1e-6, 1e-2, lr::get, lr::set);
        Button b = Button.of("pause", clicks::incrementAndGet);
        Label label = Label.of(status::get);
        Box box = Box.vertical(label, t, l, Box.row(b));
        try (RecordingChannel fe = RecordingChannel.install()) {
            Widgets.open(box);
            JsonObject boxState = fe.opening(box).state();
            assertEquals("VBoxModel", boxState.get("_model_name").getAsString());
            List<String> children = boxState.getAsJsonArray("children").asList().stream().map(e -> e.getAsString()).toList();
            assertEquals(4, children.size());
            assertEquals("IPY_MODEL_" + t.id(), children.get(1), "children are opened first and referred to by id");
            assertEquals("IntSliderModel", fe.opening(t).state().get("_model_name").getAsString());
            assertEquals(2, fe.opening(t).state().get("value").getAsJsonPrimitive().getAsNumber().intValue());
            JsonObject log = fe.opening(l).state();
            assertEquals("FloatLogSliderModel", log.get("_model_name").getAsString());
            assertEquals(-6.0, log.get("min").getAsDouble(), 1e-12, "a log slider's range is in exponents");
            assertEquals(-2.0, log.get("max").getAsDouble(), 1e-12);

            RecordingChannel.userSets(t, "value", 4);
            assertEquals(4, tSkip.get());
            RecordingChannel.userClicks(b);
            RecordingChannel.userClicks(b);
            assertEquals(2, clicks.get());
            status.set("paused");
            Widgets.refreshAll();
            assertEquals("paused", fe.updates(label).get(0).get("value").getAsString());
            assertEquals("paused\nt_skip = 4\nlearning rate = 0.000200\n[pause]", box.text(), "the text fallback");
        }
    }

    @Test
    void withoutAFrontEndNothingOpensAndBadRangesAreRefused() {
        Widgets.useChannel(null);
        Slider s = Slider.of("x", 0, 1, 0.1, () -> 0.5, v -> { });
        assertFalse(Widgets.open(s));
        assertNull(s.id());
        assertEquals("x = 0.5000", s.text());
        var e = assertThrows(IllegalArgumentException.class, () -> Slider.of("decay", 1, 0, 0.1, () -> 0, v -> { }));
        assertTrue(e.getMessage().contains("'decay'") && e.getMessage().contains("[1.0, 0.0]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Slider.log("lr", 0, 1, () -> 0.1, v -> { }));
    }
}
