package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.stream.StreamSupport;
import org.flowlab.schedule.SchedulePreset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class ScheduleCommandTest {

    record Result(int exitCode, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = FlowlabCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    static double[] array(JsonObject o, String key) {
        return StreamSupport.stream(o.getAsJsonArray(key).spliterator(), false).mapToDouble(e -> e.getAsDouble()).toArray();
    }

    @Test
    void glanceListsFromQwenImageAsJson() {
        Result r = run("schedule", "--preset", "qwen-image", "--steps", "50", "--size", "1024x1024", "--glance", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("qwen-image", o.get("preset").getAsString());
        double[] slow = array(o, "slow");
        double[] fast = array(o, "fast");
        double[] specSlow = {1000, 979.1915, 957.5157, 934.9170, 911.3354}; // SPEC-flow.md
        double[] specFast = {886.7053, 745.0727, 562.9505, 320.0802, 20.0};
        assertArrayEquals(specSlow, slow, 1e-4);
        assertArrayEquals(specFast, fast, 1e-4);
        assertEquals(51, array(o, "sigmas").length, "sigmas carry the terminal 0");
        assertEquals(0.0, array(o, "sigmas")[50], 0);
        assertEquals(50, array(o, "timesteps").length, "timesteps do not");
        assertEquals(0.6935483870967742, o.get("mu").getAsDouble(), 1e-15);
    }

    @Test
    void jsonCarriesFullDoublePrecision() {
        Result r = run("schedule", "--preset", "flux-dev", "--steps", "28", "--size", "1024x1024", "--json");
        double[] printed = array(JsonParser.parseString(r.out()).getAsJsonObject(), "sigmas");
        assertArrayEquals(SchedulePreset.FLUX_DEV.schedule(28, 1024, 1024).sigmas(), printed, 0.0);
    }

    @Test
    void staticPresetHasNoMu() {
        Result r = run("schedule", "--preset", "sd3", "--steps", "4", "--json");
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertFalse(o.has("mu"));
        assertFalse(o.has("slow"));
    }

    @Test
    void tableHasOneRowPerSigma() {
        Result r = run("schedule", "--preset", "linear", "--steps", "10");
        assertEquals(0, r.exitCode());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2 + 11, lines.length, r.out());
        assertTrue(lines[2].contains("1.00000000") && lines[2].contains("-0.111000"), lines[2]);
        assertTrue(lines[12].trim().startsWith("10"), lines[12]);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "schedule --preset sd3 --steps 0                               | --steps 0",
        "schedule --preset flux-dev --steps 4 --size 1000x1024         | width 1000",
        "schedule --preset flux-dev --steps 4 --size big               | size 'big'",
        "schedule --preset sd3 --steps 4 --sigmas 1,abc                | 'abc'",
        "schedule --preset sd3 --steps 4 --shift -2                    | shift -2.0",
        "schedule --preset sd3 --steps 4 --shift 0                     | shift 0.0",
        "schedule --preset flux-dev --steps 4                          | give a size",
        "schedule --preset qwen-image --steps 4 --size 1024x1024 --glance --base-steps 8 | slow position 8",
        "schedule --preset sd3 --steps 50 --glance --fast-positions 10,50 | position 50",
        "schedule --preset nope --steps 4                              | 'nope'",
        "schedule --preset sd3 --steps 4 --mu 1                        | mu 1.0",
        "schedule --preset sd3 --sigmas 1,0.5 --timesteps 1000          | not both",
    })
    void badInputExitsTwoWithOneLine(String commandLine, String fragment) {
        Result r = run(commandLine.trim().split("\\s+"));
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("", r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line, no stack trace: " + r.err());
        assertTrue(lines[0].contains(fragment), lines[0] + " lacks " + fragment);
    }

    @Test
    void versionNamesJavaAndOs() {
        Result r = run("--version");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("Flowlab "), r.out());
        assertTrue(r.out().contains("Java " + System.getProperty("java.version")), r.out());
        assertTrue(r.out().contains("OS " + System.getProperty("os.name")), r.out());
    }

    @Test
    void helpListsCommands() {
        Result r = run("--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("schedule"));
        assertTrue(r.out().contains("test"));
    }
}
