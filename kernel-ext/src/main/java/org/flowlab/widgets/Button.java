package org.flowlab.widgets;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.Map;

/** A push button: a click on the page runs the action on the kernel's shell thread (keep it short). */
public final class Button extends DomWidget {
    private final String description;
    private final Runnable action;

    private Button(String description, Runnable action) {
        super("ButtonModel", "ButtonView", "ButtonStyleModel", Map.of("font_weight", new JsonPrimitive("")));
        this.description = description;
        this.action = action;
        put(Map.<String, JsonElement>of("description", new JsonPrimitive(description), "tooltip",
                new JsonPrimitive(description), "button_style", new JsonPrimitive(""), "icon", new JsonPrimitive(""),
                "disabled", new JsonPrimitive(false)));
    }

    public static Button of(String description, Runnable action) {
        return new Button(description, action);
    }

    /** What a click does, also callable from code. */
    public void click() {
        action.run();
    }

    @Override
    protected void onCustom(JsonObject content) {
        if (content.has("event") && "click".equals(content.get("event").getAsString())) {
            try {
                click();
            } catch (RuntimeException e) {
                System.err.println(description + ": " + e.getMessage());
            }
        }
    }

    @Override
    public String text() {
        return "[" + description + "]";
    }
}
