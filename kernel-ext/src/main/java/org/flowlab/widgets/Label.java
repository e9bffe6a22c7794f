package org.flowlab.widgets;

import com.google.gson.JsonPrimitive;
import java.util.Map;
import java.util.function.Supplier;

/** A line of text that follows a value (a run's state), polled while shown. */
public final class Label extends DomWidget {
    private final Supplier<String> text;

    private Label(Supplier<String> text) {
        super("LabelModel", "LabelView", "LabelStyleModel", Map.of("description_width", new JsonPrimitive("")));
        this.text = text;
        put("value", new JsonPrimitive(text.get()));
    }

    public static Label of(Supplier<String> text) {
        return new Label(text);
    }

    @Override
    void refresh() {
        put("value", new JsonPrimitive(text.get()));
    }

    @Override
    public String text() {
        return text.get();
    }
}
