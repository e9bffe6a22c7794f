package org.flowlab.kernel;

import java.util.ArrayList;
import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;

/** A cell's outputs, kept for assertions; safe to read while background threads write. */
final class RecordingOutput implements CellOutput {
    record Event(String kind, String text, DisplayData data) {
    }

    private final List<Event> events = new ArrayList<>();

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    synchronized String stream(String name) {
        StringBuilder sb = new StringBuilder();
        for (Event e : events) {
            if (e.kind().equals(name)) {
                sb.append(e.text());
            }
        }
        return sb.toString();
    }

    synchronized List<Event> of(String kind) {
        return events.stream().filter(e -> e.kind().equals(kind)).toList();
    }

    static String text(DisplayData d) {
        return String.valueOf(d.getData(MIMEType.TEXT_PLAIN));
    }

    @Override
    public synchronized void stream(String name, String text) {
        events.add(new Event(name, text, null));
    }

    @Override
    public synchronized void display(DisplayData data) {
        events.add(new Event("display", data.getDisplayId(), data));
    }

    @Override
    public synchronized void updateDisplay(DisplayData data) {
        events.add(new Event("update", data.getDisplayId(), data));
    }

    @Override
    public synchronized void clearOutput(boolean wait) {
        events.add(new Event("clear", String.valueOf(wait), null));
    }

    @Override
    public synchronized void executeResult(int count, DisplayData data) {
        events.add(new Event("result", String.valueOf(count), data));
    }

    @Override
    public synchronized void error(String ename, String evalue, List<String> traceback) {
        events.add(new Event("error", ename + ": " + evalue + "\n" + String.join("\n", traceback), null));
    }
}
