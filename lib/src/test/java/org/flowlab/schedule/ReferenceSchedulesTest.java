package org.flowlab.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** The float64 reference schedules shipped in shared/data (copied into test resources), to 1e-9 relative. */
class ReferenceSchedulesTest {
    static final double REL = 1e-9;

    static JsonObject references() throws Exception {
        try (var in = ReferenceSchedulesTest.class.getResourceAsStream("/reference-schedules.json")) {
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        }
    }

    static double[] array(JsonObject o, String key) {
        return StreamSupport.stream(o.getAsJsonArray(key).spliterator(), false).mapToDouble(e -> e.getAsDouble()).toArray();
    }

    static void assertClose(double[] expected, double[] actual, double rel) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            double tol = rel * Math.max(Math.abs(expected[i]), 1e-300) + 1e-15;
            assertEquals(expected[i], actual[i], tol, "index " + i);
        }
    }

    void check(String key, Schedule s) throws Exception {
        JsonObject ref = references().getAsJsonObject(key);
        assertClose(array(ref, "sigmas"), s.sigmas(), REL);
        assertClose(array(ref, "timesteps"), s.timesteps(), REL);
        if (ref.has("mu")) {
            assertEquals(ref.get("mu").getAsDouble(), s.mu().orElseThrow(), REL);
        }
    }

    @Test
    void fluxDev1024At28Steps() throws Exception {
        check("flux-dev_1024x1024_28", SchedulePreset.FLUX_DEV.schedule(28, 1024, 1024));
    }

    @Test
    void qwenImage1024At50Steps() throws Exception {
        check("qwen-image_1024x1024_50", SchedulePreset.QWEN_IMAGE.schedule(50, 1024, 1024));
    }

    @Test
    void linearShiftOneAt10Steps() throws Exception {
        check("linear_shift1_10", SchedulePreset.LINEAR.schedule(10));
    }

    @Test
    void glanceListsFromQwen50() throws Exception {
        JsonObject ref = references().getAsJsonObject("glance_from_qwen50");
        GlanceLists lists = GlanceLists.derive(SchedulePreset.QWEN_IMAGE, 1024, 1024);
        assertClose(array(ref, "slow"), lists.slow(), REL);
        assertClose(array(ref, "fast"), lists.fast(), REL);
    }
}
