package org.flowlab.widgets;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleConsumer;
import java.util.function.DoubleSupplier;

/**
 * A slider bound to a value: moving it calls the setter (a setter that refuses the value, with an
 * IllegalArgumentException, moves the slider back and keeps the message in {@link #lastError()}); when code changes
 * the value, the next poll moves the slider. Linear, integer or logarithmic (base 10) scales.
 */
public final class Slider extends DomWidget {
    private final String description;
    private final boolean integer;
    private final boolean logarithmic;
    private final DoubleSupplier getter;
    private final DoubleConsumer setter;
    private volatile double lastSeen;
    private volatile String lastError;

    private Slider(String modelName, String viewName, String description, Map<String, JsonElement> range,
                   boolean integer, boolean logarithmic, DoubleSupplier getter, DoubleConsumer setter) {
        super(modelName, viewName, Map.of("width", new JsonPrimitive("560px")), "SliderStyleModel",
                Map.of("description_width", new JsonPrimitive("160px")));
        this.description = description;
        this.integer = integer;
        this.logarithmic = logarithmic;
        this.getter = getter;
        this.setter = setter;
        this.lastSeen = getter.getAsDouble();
        Map<String, JsonElement> s = new LinkedHashMap<>(range);
        s.put("description", new JsonPrimitive(description));
        s.put("value", number(lastSeen));
        s.put("continuous_update", new JsonPrimitive(false)); // one knob change per release, not per pixel
        s.put("orientation", new JsonPrimitive("horizontal"));
        s.put("readout", new JsonPrimitive(true));
        s.put("disabled", new JsonPrimitive(false));
        put(s);
    }

    /** A linear slider over [min, max] in steps of {@code step}. */
    public static Slider of(String description, double min, double max, double step, DoubleSupplier get,
                            DoubleConsumer set) {
        requireRange(description, min, max, step);
        return new Slider("FloatSliderModel", "FloatSliderView", description, Map.of("min", new JsonPrimitive(min),
                "max", new JsonPrimitive(max), "step", new JsonPrimitive(step), "readout_format",
                new JsonPrimitive(".3g")), false, false, get, set);
    }

    /** An integer slider. */
    public static Slider ofInt(String description, int min, int max, int step, java.util.function.IntSupplier get,
                               java.util.function.IntConsumer set) {
        requireRange(description, min, max, step);
        return new Slider("IntSliderModel", "IntSliderView", description, Map.of("min", new JsonPrimitive(min),
                "max", new JsonPrimitive(max), "step", new JsonPrimitive(step), "readout_format",
                new JsonPrimitive("d")), true, false, get::getAsInt, v -> set.accept((int) Math.round(v)));
    }

    /** A logarithmic slider over [min, max] (both positive), ten steps a decade: learning rates. */
    public static Slider log(String description, double min, double max, DoubleSupplier get, DoubleConsumer set) {
        if (!(min > 0) || !(max > min)) {
            throw new IllegalArgumentException("log slider '" + description + "': range [" + min + ", " + max
                    + "] must be positive and increasing");
        }
        return new Slider("FloatLogSliderModel", "FloatLogSliderView", description, Map.of("base",
                new JsonPrimitive(10), "min", new JsonPrimitive(Math.log10(min)), "max",
                new JsonPrimitive(Math.log10(max)), "step", new JsonPrimitive(0.1), "readout_format",
                new JsonPrimitive(".2e")), false, true, get, set);
    }

    private static void requireRange(String description, double min, double max, double step) {
        if (!(max > min) || !(step > 0) || step > max - min) {
            throw new IllegalArgumentException("slider '" + description + "': range [" + min + ", " + max + "] step "
                    + step + " must have max > min and 0 < step <= max - min");
        }
    }

    public String description() {
        return description;
    }

    /** The slider's value as the front end last saw it. */
    public double value() {
        return get("value").getAsDouble();
    }

    /** Sets the bound value from code, and the slider with it. */
    public void setValue(double v) {
        setter.accept(v);
        put("value", number(v));
    }

    /** Why the last value from the front end was refused, or null. */
    public String lastError() {
        return lastError;
    }

    @Override
    protected void fromFrontend(JsonObject changed) {
        if (!changed.has("value")) {
            return;
        }
        double v = changed.get("value").getAsDouble();
        try {
            setter.accept(v);
            lastError = null;
        } catch (IllegalArgumentException e) {
            lastError = e.getMessage();
            System.err.println(description + ": " + e.getMessage());
            put("value", number(getter.getAsDouble())); // back to the value in force
        }
    }

    /** A change made from code since the last poll moves the slider; a change the user made is left alone. */
    @Override
    void refresh() {
        double now = getter.getAsDouble();
        if (Double.compare(now, lastSeen) != 0) {
            lastSeen = now;
            put("value", number(now));
        }
    }

    private JsonPrimitive number(double v) {
        return integer ? new JsonPrimitive(Math.round(v)) : new JsonPrimitive(v);
    }

    @Override
    public String text() {
        double v = getter.getAsDouble();
        String shown = integer ? Long.toString(Math.round(v)) : String.format(Locale.ROOT, logarithmic ? "%.3g" : "%.4g", v);
        return description + " = " + shown;
    }
}
