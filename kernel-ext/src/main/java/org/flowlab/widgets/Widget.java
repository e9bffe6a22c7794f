package org.flowlab.widgets;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * One widget model: its {@code _model_name}/{@code _view_name} in a widgets module and its state, which the kernel
 * and the front end both change ({@code update} messages). Subclasses react to the front end's changes in
 * {@link #fromFrontend} and to custom events (a button's click) in {@link #onCustom}. Thread-safe: a run's thread,
 * the cell thread and the shell thread (front-end messages) may touch one widget.
 */
public abstract class Widget {
    static final String CONTROLS = "@jupyter-widgets/controls";
    static final String BASE = "@jupyter-widgets/base";
    static final String VERSION = "2.0.0";

    private final String modelModule;
    private final String modelName;
    private final String viewModule;
    private final String viewName;
    private final JsonObject state = new JsonObject(); // guarded by this
    private volatile String id;                       // the comm id once opened
    private volatile WidgetChannel channel;

    Widget(String modelModule, String modelName, String viewModule, String viewName) {
        this.modelModule = modelModule;
        this.modelName = modelName;
        this.viewModule = viewModule;
        this.viewName = viewName;
    }

    /** A widget of the controls module, e.g. ("FloatSliderModel", "FloatSliderView"). */
    Widget(String modelName, String viewName) {
        this(CONTROLS, modelName, CONTROLS, viewName);
    }

    public String modelName() {
        return modelName;
    }

    /** The comm id (the front end's model id), or null while the widget has not been shown. */
    public String id() {
        return id;
    }

    /** The models this one refers to (layout, style, a box's children): opened before it. */
    List<Widget> parts() {
        return List.of();
    }

    /** What a front end without widgets shows. */
    public abstract String text();

    /** The value of one state key (null when unset). */
    public synchronized JsonElement get(String key) {
        JsonElement v = state.get(key);
        return v == null ? null : v.deepCopy();
    }

    /** Sets state keys here and, once shown, on the front end. */
    protected void put(Map<String, JsonElement> values) {
        JsonObject delta = new JsonObject();
        synchronized (this) {
            values.forEach((k, v) -> {
                if (!v.equals(state.get(k))) {
                    state.add(k, v);
                    delta.add(k, v);
                }
            });
        }
        WidgetChannel c = channel;
        if (c != null && delta.size() > 0) {
            c.update(this, delta);
        }
    }

    protected void put(String key, JsonElement value) {
        put(Map.of(key, value));
    }

    /** The full state a {@code comm_open} carries. */
    synchronized JsonObject fullState() {
        JsonObject s = state.deepCopy();
        s.addProperty("_model_module", modelModule);
        s.addProperty("_model_module_version", VERSION);
        s.addProperty("_model_name", modelName);
        s.addProperty("_view_module", viewModule);
        s.addProperty("_view_module_version", VERSION);
        s.addProperty("_view_name", viewName);
        return s;
    }

    /** Called once the comm is open. */
    void opened(String commId, WidgetChannel via) {
        this.id = commId;
        this.channel = via;
    }

    boolean isOpen() {
        return channel != null;
    }

    /** A message from the front end: {@code update} (state keys the user changed) or {@code custom}. */
    public final void receive(JsonObject data) {
        String method = data.has("method") ? data.get("method").getAsString() : "";
        switch (method) {
            case "update" -> {
                JsonObject sent = data.has("state") ? data.getAsJsonObject("state") : new JsonObject();
                JsonObject changed = new JsonObject(); // a front end may send a value twice: act on changes only
                synchronized (this) {
                    sent.entrySet().forEach(e -> {
                        if (!e.getValue().equals(state.get(e.getKey()))) {
                            state.add(e.getKey(), e.getValue());
                            changed.add(e.getKey(), e.getValue());
                        }
                    });
                }
                if (changed.size() > 0) {
                    fromFrontend(changed);
                }
            }
            case "request_state" -> {
                WidgetChannel c = channel;
                if (c != null) {
                    c.update(this, fullState());
                }
            }
            case "custom" -> onCustom(data.has("content") ? data.getAsJsonObject("content") : new JsonObject());
            default -> {
                // echo_update and later protocol additions carry nothing this kernel acts on
            }
        }
    }

    /** The user changed these keys (already in the state). */
    protected void fromFrontend(JsonObject changed) {
    }

    protected void onCustom(JsonObject content) {
    }

    /** Polled by {@link Widgets} while shown: pull a bound value that code changed. */
    void refresh() {
    }

    /** Called after {@link #parts()} are open and before this model opens: put references to them in the state. */
    void link() {
    }

    /** A reference to another model, as the protocol writes it. */
    static String ref(Widget w) {
        return "IPY_MODEL_" + w.id();
    }

    /** A layout or style model: state only, no behaviour. */
    static final class Part extends Widget {
        Part(String module, String modelName, String viewName, Map<String, JsonElement> state) {
            super(module, modelName, BASE, viewName);
            put(state);
        }

        static Part layout(Map<String, JsonElement> state) {
            return new Part(BASE, "LayoutModel", "LayoutView", state);
        }

        static Part style(String modelName, Map<String, JsonElement> state) {
            return new Part(CONTROLS, modelName, "StyleView", state);
        }

        @Override
        public String text() {
            return "";
        }
    }
}
