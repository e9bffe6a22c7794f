package org.flowlab.widgets;

import com.google.gson.JsonObject;

/** Where widget models live on the front end: one comm per model. */
public interface WidgetChannel {
    /** Opens the model's comm {@code id} ({@code comm_open} on target {@code jupyter.widget}) with its full state. */
    void open(String id, Widget widget, JsonObject state);

    /** Sends a partial state ({@code comm_msg}, method {@code update}) to an open model. */
    void update(Widget widget, JsonObject state);
}
