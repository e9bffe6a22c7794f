package org.flowlab.ext;

import java.util.Locale;
import org.flowlab.progress.Progress;
import org.flowlab.scfm.Scfm;
import org.flowlab.train.BackgroundRun;
import org.flowlab.widgets.Box;
import org.flowlab.widgets.Button;
import org.flowlab.widgets.Label;
import org.flowlab.widgets.Slider;

/**
 * Live controls of a running distillation: a slider per SCFM knob and pause / resume / stop buttons. Moving a slider
 * is a knob change, validated at once, applied and logged at the next step ({@link Scfm#changes()}); a knob turned
 * from code moves its slider at the next poll.
 */
public final class Controls {
    private Controls() {
    }

    /** The knobs of {@code scfm} and the buttons of {@code run} (the run {@link Scfm#start} returned). */
    public static Box of(Scfm scfm, BackgroundRun<?> run) {
        Box knobs = Box.vertical(
                Slider.ofInt("t_skip", 1, 16, 1, () -> scfm.config().tSkip(), scfm::setTSkip),
                Slider.of("teacher_ratio", 0, 1, 0.05, () -> scfm.config().teacherRatio(), scfm::setTeacherRatio),
                Slider.of("non_shortcut_ratio", 0, 1, 0.05, () -> scfm.config().nonShortcutRatio(),
                        scfm::setNonShortcutRatio),
                Slider.log("learning rate", 1e-6, 1e-2, () -> scfm.config().optimizer().lr(), scfm::setLr),
                Slider.of("fast EMA decay", 0.9, 0.9999, 0.0001, () -> scfm.config().fastDecay(),
                        v -> scfm.setEmaDecays(v, scfm.config().slowDecay())),
                Slider.of("slow EMA decay", 0.9, 0.9999, 0.0001, () -> scfm.config().slowDecay(),
                        v -> scfm.setEmaDecays(scfm.config().fastDecay(), v)));
        Box buttons = Box.row(Button.of("pause", run::pause), Button.of("resume", run::resume),
                Button.of("stop", run::cancel));
        return Box.vertical(Label.of(() -> status(run)), knobs, buttons);
    }

    /** "scfm-train: step 120/240, running" */
    static String status(BackgroundRun<?> run) {
        Progress p = run.latest();
        String state = !run.isRunning() ? (run.error() == null ? "finished" : "stopped") : run.isPaused() ? "paused"
                : "running";
        return String.format(Locale.ROOT, "%s: step %d/%d, %s", run.name(), p == null ? 0 : p.step(),
                p == null ? 0 : p.total(), state);
    }
}
