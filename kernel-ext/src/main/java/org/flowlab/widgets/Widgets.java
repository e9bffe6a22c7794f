package org.flowlab.widgets;

import com.google.gson.JsonObject;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shows widgets through the kernel's {@link WidgetChannel} and keeps bound values in step: every
 * {@value #POLL_MS} ms each shown widget pulls its value, so a change made from code (another cell, a run's
 * schedule) moves its slider.
 */
public final class Widgets {
    /** The MIME type of a widget's view in an output. */
    public static final String VIEW_MIME = "application/vnd.jupyter.widget-view+json";
    /** The protocol version comm_open announces. */
    public static final String PROTOCOL_VERSION = "2.1.0";
    public static final String TARGET = "jupyter.widget";
    static final long POLL_MS = 200;

    private static volatile WidgetChannel channel;
    private static final Set<Widget> SHOWN = ConcurrentHashMap.newKeySet();
    private static volatile ScheduledExecutorService poller;

    private Widgets() {
    }

    /** The kernel's channel once a front end is connected; null for none (headless runs show text). */
    public static void useChannel(WidgetChannel c) {
        channel = c;
    }

    /**
     * Opens {@code widget} (its layout, style and children first) on the front end, if one is connected and it is
     * not open yet; returns whether it is open.
     */
    public static synchronized boolean open(Widget widget) {
        WidgetChannel c = channel;
        if (c == null) {
            return false;
        }
        if (widget.isOpen()) {
            return true;
        }
        for (Widget part : widget.parts()) {
            open(part);
        }
        widget.link();
        String id = java.util.UUID.randomUUID().toString();
        widget.opened(id, c);
        c.open(id, widget, widget.fullState());
        SHOWN.add(widget);
        startPolling();
        return true;
    }

    /** The output data of a shown widget's view: {@code {"version_major": 2, "version_minor": 0, "model_id": id}}. */
    public static JsonObject view(Widget widget) {
        JsonObject v = new JsonObject();
        v.addProperty("version_major", 2);
        v.addProperty("version_minor", 0);
        v.addProperty("model_id", widget.id());
        return v;
    }

    /** The front end closed the model's comm: stop polling it. */
    public static void closed(Widget widget) {
        SHOWN.remove(widget);
    }

    /** One poll of every shown widget (the poller's work; tests call it to be deterministic). */
    public static void refreshAll() {
        for (Widget w : SHOWN) {
            try {
                w.refresh();
            } catch (RuntimeException e) {
                System.err.println("flowlab: widget " + w.modelName() + " could not refresh: " + e);
            }
        }
    }

    private static void startPolling() {
        if (poller == null) {
            ScheduledExecutorService p = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "flowlab-widgets");
                t.setDaemon(true);
                return t;
            });
            p.scheduleWithFixedDelay(Widgets::refreshAll, POLL_MS, POLL_MS, TimeUnit.MILLISECONDS);
            poller = p;
        }
    }
}
