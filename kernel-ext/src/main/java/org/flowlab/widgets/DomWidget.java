package org.flowlab.widgets;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import java.util.List;
import java.util.Map;

/** A widget with a view on the page: it refers to a layout model and a style model, as ipywidgets' do. */
abstract class DomWidget extends Widget {
    private final Widget layout;
    private final Widget style; // null for models without one (boxes)

    DomWidget(String modelName, String viewName, String styleModel, Map<String, JsonElement> styleState) {
        this(modelName, viewName, Map.of(), styleModel, styleState);
    }

    DomWidget(String modelName, String viewName, Map<String, JsonElement> layoutState, String styleModel,
              Map<String, JsonElement> styleState) {
        super(modelName, viewName);
        this.layout = Part.layout(layoutState);
        this.style = styleModel == null ? null : Part.style(styleModel, styleState);
    }

    @Override
    List<Widget> parts() {
        return style == null ? List.of(layout) : List.of(layout, style);
    }

    @Override
    void link() {
        put("layout", new JsonPrimitive(ref(layout)));
        if (style != null) {
            put("style", new JsonPrimitive(ref(style)));
        }
    }
}
