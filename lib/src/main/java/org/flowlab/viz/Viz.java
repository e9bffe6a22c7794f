package org.flowlab.viz;

import java.awt.image.RenderedImage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.flowlab.progress.Progress;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.Schedule;
import tech.tablesaw.api.Table;

/**
 * The renderers: which lib type turns into which picture. The kernel extension hands every type listed here to
 * the notebook, and {@code flowlab run} uses the same table, so a notebook and a headless run show the same thing.
 *
 * <p>To make a new lib type drawable, add it to {@link #DEFAULTS} (preferred: then the kernel knows it from the
 * start) or call {@link #register} before the kernel extension is installed.
 */
public final class Viz {
    private Viz() {
    }

    /** Most specific first is not required: lookup walks the value's class hierarchy. */
    private static final Map<Class<?>, Function<Object, MimeBundle>> DEFAULTS = defaults();
    private static final Map<Class<?>, Function<Object, MimeBundle>> EXTRA = new LinkedHashMap<>();

    private static Map<Class<?>, Function<Object, MimeBundle>> defaults() {
        Map<Class<?>, Function<Object, MimeBundle>> m = new LinkedHashMap<>();
        put(m, MimeBundle.class, b -> b);
        put(m, Renderable.class, Renderable::bundle);
        put(m, Schedule.class, s -> SchedulePlot.of(s).title(s.label()).bundle().with(MimeBundle.TEXT_PLAIN, s.toString()));
        put(m, GlanceLists.class, g -> SchedulePlot.of(g).bundle().with(MimeBundle.TEXT_PLAIN, g.toString()));
        put(m, RenderedImage.class, Images::bundle);
        put(m, Table.class, Tables::bundle);
        put(m, Progress.class, p -> ProgressView.of(p).bundle());
        put(m, ai.djl.ndarray.NDArray.class, Viz::ndarray);
        return m;
    }

    /** An image batch (B, C, H, W) with C 1 or 3, values in [-1, 1], as a grid; any other array as its shape. */
    static MimeBundle ndarray(ai.djl.ndarray.NDArray a) {
        long[] s = a.getShape().getShape();
        String text = "NDArray " + a.getShape() + " " + a.getDataType();
        if (s.length == 4 && (s[1] == 1 || s[1] == 3) && s[0] >= 1 && s[0] <= 256 && a.getDataType().isFloating()) {
            return ImageGrid.of(a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(), (int) s[0],
                    (int) s[1], (int) s[2], (int) s[3]).bundle().with(MimeBundle.TEXT_PLAIN, text);
        }
        if (s.length == 3 && (s[0] == 1 || s[0] == 3) && a.getDataType().isFloating()) {
            return ImageGrid.of(a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(), 1, (int) s[0],
                    (int) s[1], (int) s[2]).bundle().with(MimeBundle.TEXT_PLAIN, text);
        }
        return MimeBundle.text(text + (a.size() <= 64 ? "\n" + a : ""));
    }

    private static <T> void put(Map<Class<?>, Function<Object, MimeBundle>> m, Class<T> type,
                                Function<? super T, MimeBundle> f) {
        m.put(type, o -> f.apply(type.cast(o)));
    }

    /** Adds (or replaces) the renderer of {@code type} and its subtypes. */
    public static synchronized <T> void register(Class<T> type, Function<? super T, MimeBundle> renderer) {
        put(EXTRA, type, renderer);
    }

    /** Every type with a renderer, defaults first. */
    public static synchronized List<Class<?>> types() {
        List<Class<?>> all = new ArrayList<>(DEFAULTS.keySet());
        for (Class<?> c : EXTRA.keySet()) {
            if (!all.contains(c)) {
                all.add(c);
            }
        }
        return all;
    }

    /** The bundle of {@code value}, or empty when no renderer knows its type (the caller falls back to text). */
    public static Optional<MimeBundle> bundle(Object value) {
        if (value == null) {
            return Optional.empty();
        }
        Function<Object, MimeBundle> f = lookup(value.getClass());
        return f == null ? Optional.empty() : Optional.of(f.apply(value));
    }

    /** The renderer for a type: its own, else its superclasses', else its interfaces' (breadth first). */
    private static synchronized Function<Object, MimeBundle> lookup(Class<?> type) {
        Deque<Class<?>> queue = new ArrayDeque<>();
        Set<Class<?>> seen = new HashSet<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            queue.add(c);
        }
        while (!queue.isEmpty()) {
            Class<?> c = queue.poll();
            if (!seen.add(c)) {
                continue;
            }
            Function<Object, MimeBundle> f = EXTRA.containsKey(c) ? EXTRA.get(c) : DEFAULTS.get(c);
            if (f != null) {
                return f;
            }
            queue.addAll(List.of(c.getInterfaces()));
        }
        return null;
    }
}
