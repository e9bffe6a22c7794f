package org.flowlab.kernel;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * Runs a notebook's code cells top to bottom in this JVM (no Jupyter, no Python) and writes the outputs into the
 * .ipynb as nbformat 4 outputs: streams, display data (PNG, HTML, ...), results and errors. It stops at the first
 * failing cell; the file written then holds the outputs so far, the error included.
 */
public final class NotebookRunner {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    /** nbformat wants {@code "execution_count": null} written out for cells that did not run. */
    private static final Gson WRITER = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls()
            .create();

    /** How a run went: the number of the failing code cell (1-based) and its error, or 0 when all passed. */
    public record Result(int cells, int failedCell, String error) {
        public boolean ok() {
            return failedCell == 0;
        }
    }

    private NotebookRunner() {
    }

    /**
     * @param log progress lines ("cell 3/12 ok"), to the real stdout: System.out belongs to the cells
     */
    public static Result run(FlowlabKernel kernel, Path in, Path out, PrintStream log) throws IOException {
        JsonObject nb;
        try {
            nb = JsonParser.parseString(Files.readString(in, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(in + " is not a notebook (.ipynb JSON): " + e.getMessage());
        }
        if (!nb.has("cells") || !nb.get("cells").isJsonArray()) {
            throw new IllegalArgumentException(in + " has no \"cells\" list; is it an nbformat 4 notebook?");
        }
        List<JsonObject> code = new ArrayList<>();
        for (JsonElement c : nb.getAsJsonArray("cells")) {
            if (c.isJsonObject() && "code".equals(c.getAsJsonObject().get("cell_type").getAsString())) {
                code.add(c.getAsJsonObject());
            }
        }
        Displays displays = new Displays();
        Result result = new Result(code.size(), 0, null);
        for (int i = 0; i < code.size(); i++) {
            JsonObject cell = code.get(i);
            JsonArray outputs = new JsonArray();
            cell.add("outputs", outputs);
            cell.add("execution_count", null);
            CellJson output = new CellJson(outputs, displays);
            FlowlabKernel.CellRun run = kernel.executeCell(source(cell), output, true);
            cell.addProperty("execution_count", run.count());
            if (run.outcome() instanceof EvalOutcome.Failure f) {
                result = new Result(code.size(), i + 1, f.ename() + ": " + f.evalue());
                log.printf("cell %d/%d failed: %s%n", i + 1, code.size(), result.error());
                break;
            }
            log.printf("cell %d/%d ok%n", i + 1, code.size());
        }
        kernel.router().flushAll();
        // cells not reached keep no stale outputs from an older run
        if (!result.ok()) {
            for (int i = result.failedCell(); i < code.size(); i++) {
                code.get(i).add("outputs", new JsonArray());
                code.get(i).add("execution_count", null);
            }
        }
        synchronized (displays) { // background jobs may still be writing outputs
            write(nb, out);
        }
        return result;
    }

    private static String source(JsonObject cell) {
        JsonElement s = cell.get("source");
        if (s == null || s.isJsonNull()) {
            return "";
        }
        if (s.isJsonArray()) {
            StringBuilder sb = new StringBuilder();
            s.getAsJsonArray().forEach(e -> sb.append(e.getAsString()));
            return sb.toString();
        }
        return s.getAsString();
    }

    /** Writes through a temporary file, so a crash never leaves half a notebook. */
    private static void write(JsonObject nb, Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".flowlab-run-", ".ipynb");
        Files.writeString(tmp, WRITER.toJson(nb) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Outputs by display id, so update_display_data can find them in any cell. */
    private static final class Displays {
        final Map<String, List<JsonObject>> byId = new HashMap<>();
    }

    /** One cell's outputs list; called from any thread. */
    private static final class CellJson implements CellOutput {
        private final JsonArray outputs;
        private final Displays displays;

        CellJson(JsonArray outputs, Displays displays) {
            this.outputs = outputs;
            this.displays = displays;
        }

        @Override
        public void stream(String name, String text) {
            synchronized (displays) {
                if (outputs.size() > 0) {
                    JsonObject last = outputs.get(outputs.size() - 1).getAsJsonObject();
                    if ("stream".equals(last.get("output_type").getAsString()) && name.equals(last.get("name").getAsString())) {
                        last.addProperty("text", last.get("text").getAsString() + text);
                        return;
                    }
                }
                JsonObject o = new JsonObject();
                o.addProperty("output_type", "stream");
                o.addProperty("name", name);
                o.addProperty("text", text);
                outputs.add(o);
            }
        }

        private static JsonObject bundle(String type, DisplayData d) {
            JsonObject tree = GSON.toJsonTree(d).getAsJsonObject();
            JsonObject o = new JsonObject();
            o.addProperty("output_type", type);
            o.add("data", tree.has("data") ? tree.get("data") : new JsonObject());
            o.add("metadata", tree.has("metadata") && tree.get("metadata").isJsonObject() ? tree.get("metadata")
                    : new JsonObject());
            return o;
        }

        @Override
        public void display(DisplayData data) {
            JsonObject o = bundle("display_data", data);
            synchronized (displays) {
                outputs.add(o);
                if (data.hasDisplayId()) {
                    displays.byId.computeIfAbsent(data.getDisplayId(), k -> new ArrayList<>()).add(o);
                }
            }
        }

        @Override
        public void updateDisplay(DisplayData data) {
            JsonObject fresh = bundle("display_data", data);
            synchronized (displays) {
                for (JsonObject o : displays.byId.getOrDefault(data.getDisplayId(), List.of())) {
                    o.add("data", fresh.get("data"));
                    o.add("metadata", fresh.get("metadata"));
                }
            }
        }

        @Override
        public void clearOutput(boolean wait) {
            synchronized (displays) {
                while (outputs.size() > 0) {
                    outputs.remove(0);
                }
            }
        }

        @Override
        public void executeResult(int count, DisplayData data) {
            JsonObject o = bundle("execute_result", data);
            o.addProperty("execution_count", count);
            synchronized (displays) {
                outputs.add(o);
            }
        }

        @Override
        public void error(String ename, String evalue, List<String> traceback) {
            JsonObject o = new JsonObject();
            o.addProperty("output_type", "error");
            o.addProperty("ename", ename);
            o.addProperty("evalue", evalue);
            JsonArray tb = new JsonArray();
            traceback.forEach(l -> tb.add(new JsonPrimitive(l)));
            o.add("traceback", tb);
            synchronized (displays) {
                outputs.add(o);
            }
        }
    }
}
