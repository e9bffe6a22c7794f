package org.flowlab.kernel;

import java.util.List;
import java.util.UUID;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * The notebook functions every cell can call unqualified (the kernel imports them statically), as in IJava:
 * {@code display(obj)}, {@code display(obj, "image/png")} (both return the display id), {@code render(obj)},
 * {@code updateDisplay(id, obj)}, {@code clearOutput()}, {@code printf(...)}. They work from any thread: output goes
 * to the cell the calling thread belongs to (see {@link OutputRouter}).
 */
public final class Notebook {
    private Notebook() {
    }

    private static FlowlabKernel kernel() {
        return FlowlabKernel.current();
    }

    /** The bundle {@code obj} would show as (its renderer's, or its {@code toString}). */
    public static DisplayData render(Object obj) {
        return kernel().render(obj);
    }

    /** The bundle restricted to these MIME types, e.g. {@code render(plot, "image/png")}. */
    public static DisplayData render(Object obj, String... mimeTypes) {
        return kernel().render(obj, mimeTypes);
    }

    /** Shows {@code obj} now (not only as the cell's result) and returns the display id for updates. */
    public static String display(Object obj) {
        return show(render(obj));
    }

    public static String display(Object obj, String... mimeTypes) {
        return show(render(obj, mimeTypes));
    }

    private static String show(DisplayData data) {
        if (!data.hasDisplayId()) {
            data.setDisplayId(UUID.randomUUID().toString());
        }
        target().display(data);
        return data.getDisplayId();
    }

    /** Replaces what display {@code id} shows, in place (update_display_data). */
    public static void updateDisplay(String id, Object obj) {
        update(id, render(obj));
    }

    public static void updateDisplay(String id, Object obj, String... mimeTypes) {
        update(id, render(obj, mimeTypes));
    }

    private static void update(String id, DisplayData data) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("updateDisplay needs the id that display(...) returned, got '" + id + "'");
        }
        data.setDisplayId(id);
        target().updateDisplay(data);
    }

    /** Clears the cell's output now. */
    public static void clearOutput() {
        target().clearOutput(false);
    }

    /** With {@code wait}, the output is cleared when the next output arrives (no flicker in animations). */
    public static void clearOutput(boolean wait) {
        target().clearOutput(wait);
    }

    public static void printf(String format, Object... args) {
        System.out.printf(format, args);
    }

    /** The output of the calling thread's cell. */
    public static OutputTarget target() {
        OutputTarget t = kernel().router().current();
        if (t == null) {
            throw new IllegalStateException("no cell has run yet, so there is nowhere to display; call this from a cell");
        }
        return t;
    }

    /** What a line magic turns into (see MagicSyntax). */
    public static Object lineMagic(String name, List<String> args) throws Exception {
        return kernel().runLineMagic(name, args);
    }

    /** What a cell magic turns into. */
    public static Object cellMagic(String name, List<String> args, String body) throws Exception {
        return kernel().runCellMagic(name, args, body);
    }
}
