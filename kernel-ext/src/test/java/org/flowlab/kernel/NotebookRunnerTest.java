package org.flowlab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotebookRunnerTest {

    static String notebook(String... cells) {
        JsonArray list = new JsonArray();
        JsonObject md = new JsonObject();
        md.addProperty("cell_type", "markdown");
        md.addProperty("source", "# title");
        list.add(md);
        for (String code : cells) {
            JsonObject c = new JsonObject();
            c.addProperty("cell_type", "code");
            JsonArray src = new JsonArray();
            code.lines().forEach(l -> src.add(l + "\n"));
            c.add("source", src);
            c.add("outputs", new JsonArray());
            c.add("execution_count", null);
            c.add("metadata", new JsonObject());
            list.add(c);
        }
        JsonObject nb = new JsonObject();
        nb.add("cells", list);
        nb.addProperty("nbformat", 4);
        nb.addProperty("nbformat_minor", 5);
        nb.add("metadata", new JsonObject());
        return nb.toString();
    }

    static JsonArray outputs(JsonObject nb, int cell) {
        return nb.getAsJsonArray("cells").get(cell).getAsJsonObject().getAsJsonArray("outputs");
    }

    @Test
    void outputsLandInTheCellsAndTheFirstErrorStops(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("t.ipynb");
        Files.writeString(in, notebook(
                "System.out.print(\"a\");\nSystem.out.println(\"b\");\nSchedulePreset.SD3.schedule(3)",
                "String id = display(\"old\");\nupdateDisplay(id, \"new\");",
                "Integer.parseInt(\"nope\")",
                "System.out.println(\"never\");"));
        Path out = dir.resolve("out.ipynb");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        NotebookRunner.Result r = NotebookRunner.run(TestKernel.get(), in, out, new PrintStream(log, true));
        assertFalse(r.ok());
        assertEquals(3, r.failedCell(), "code cells are counted from 1, markdown left out");
        assertTrue(r.error().startsWith("NumberFormatException"), r.error());

        JsonObject nb = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
        JsonArray first = outputs(nb, 1);
        assertEquals(2, first.size());
        assertEquals("ab\n", first.get(0).getAsJsonObject().get("text").getAsString(), "stream pieces merged");
        JsonObject result = first.get(1).getAsJsonObject();
        assertEquals("execute_result", result.get("output_type").getAsString());
        assertTrue(result.getAsJsonObject("data").has("image/png"));
        assertTrue(result.get("execution_count").getAsInt() > 0);

        JsonObject shown = outputs(nb, 2).get(0).getAsJsonObject();
        assertEquals("new", shown.getAsJsonObject("data").get("text/plain").getAsString(), "updated in place");

        JsonObject error = outputs(nb, 3).get(0).getAsJsonObject();
        assertEquals("error", error.get("output_type").getAsString());
        assertEquals("NumberFormatException", error.get("ename").getAsString());
        assertEquals(0, outputs(nb, 4).size(), "cells after the failure do not run");
        assertTrue(nb.getAsJsonArray("cells").get(4).getAsJsonObject().get("execution_count").isJsonNull());
        assertTrue(log.toString().contains("cell 3/4 failed"), log.toString());
    }

    @Test
    void notANotebookIsNamed(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("x.ipynb");
        Files.writeString(in, "{\"hello\": 1}");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NotebookRunner.run(TestKernel.get(), in, in, System.err));
        assertTrue(e.getMessage().contains("has no \"cells\" list"), e.getMessage());
    }
}
