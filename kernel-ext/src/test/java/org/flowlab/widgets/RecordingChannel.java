package org.flowlab.widgets;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** A front end that records what the kernel sends, installed as the widgets' channel for one test. */
public final class RecordingChannel implements WidgetChannel, AutoCloseable {
    public record Sent(String kind, String id, Widget widget, JsonObject state) {
    }

    public final List<Sent> sent = new ArrayList<>();

    public static RecordingChannel install() {
        RecordingChannel c = new RecordingChannel();
        Widgets.useChannel(c);
        return c;
    }

    @Override
    public synchronized void open(String id, Widget widget, JsonObject state) {
        sent.add(new Sent("open", id, widget, state.deepCopy()));
    }

    @Override
    public synchronized void update(Widget widget, JsonObject state) {
        sent.add(new Sent("update", widget.id(), widget, state.deepCopy()));
    }

    /** The updates sent to {@code w}, oldest first. */
    public synchronized List<JsonObject> updates(Widget w) {
        return sent.stream().filter(s -> s.kind().equals("update") && s.widget() == w).map(Sent::state).toList();
    }

    public synchronized Sent opening(Widget w) {
        return sent.stream().filter(s -> s.kind().equals("open") && s.widget() == w).findFirst().orElseThrow();
    }

    /** What a front end sends when the user moves a widget's value. */
    public static void userSets(Widget w, String key, Number value) {
        JsonObject state = new JsonObject();
        state.addProperty(key, value);
        JsonObject data = new JsonObject();
        data.addProperty("method", "update");
        data.add("state", state);
        w.receive(data);
    }

    public static void userClicks(Widget w) {
        JsonObject content = new JsonObject();
        content.addProperty("event", "click");
        JsonObject data = new JsonObject();
        data.addProperty("method", "custom");
        data.add("content", content);
        w.receive(data);
    }

    @Override
    public void close() {
        Widgets.useChannel(null);
    }
}
