package org.flowlab.widgets;

import com.google.gson.JsonArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Widgets stacked vertically (VBox) or in a row (HBox). */
public final class Box extends DomWidget {
    private final List<Widget> children;
    private final boolean vertical;

    private Box(boolean vertical, List<Widget> children) {
        super(vertical ? "VBoxModel" : "HBoxModel", vertical ? "VBoxView" : "HBoxView", null, Map.of());
        this.vertical = vertical;
        this.children = List.copyOf(children);
        put("box_style", new com.google.gson.JsonPrimitive(""));
    }

    public static Box vertical(Widget... children) {
        return new Box(true, List.of(children));
    }

    public static Box row(Widget... children) {
        return new Box(false, List.of(children));
    }

    public List<Widget> children() {
        return children;
    }

    @Override
    List<Widget> parts() {
        List<Widget> all = new ArrayList<>(super.parts());
        all.addAll(children);
        return all;
    }

    @Override
    void link() {
        super.link();
        JsonArray refs = new JsonArray();
        children.forEach(c -> refs.add(ref(c)));
        put("children", refs);
    }

    @Override
    public String text() {
        return children.stream().map(Widget::text).collect(Collectors.joining(vertical ? "\n" : "  "));
    }
}
