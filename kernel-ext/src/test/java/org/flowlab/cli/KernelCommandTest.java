package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCommandTest {
    @TempDir
    Path home;
    String before;

    @BeforeEach
    void fakeLauncher() throws Exception {
        Path launcher = home.resolve("flowlab");
        Files.writeString(launcher, "#!/bin/sh\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        before = System.getProperty("flowlab.home");
        System.setProperty("flowlab.home", home.toString());
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty("flowlab.home");
        } else {
            System.setProperty("flowlab.home", before);
        }
    }

    @Test
    void installWithPrefixWritesTheKernelspecAndRemoveDeletesIt() throws Exception {
        Path prefix = home.resolve("prefix");
        ScheduleCommandTest.Result r = ScheduleCommandTest.run("kernel", "install", "--prefix", prefix.toString());
        assertEquals(0, r.exitCode(), r.err());
        Path json = prefix.resolve("share/jupyter/kernels/flowlab/kernel.json");
        assertTrue(r.out().contains(json.getParent().toString()), r.out());
        JsonObject spec = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("Java (Flowlab)", spec.get("display_name").getAsString());
        assertEquals("java", spec.get("language").getAsString());
        assertEquals("message", spec.get("interrupt_mode").getAsString());
        assertEquals(home.resolve("flowlab").toString(), spec.getAsJsonArray("argv").get(0).getAsString());
        assertEquals("{connection_file}", spec.getAsJsonArray("argv").get(3).getAsString());

        r = ScheduleCommandTest.run("kernel", "remove", "--prefix", prefix.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(Files.exists(json.getParent()));
        r = ScheduleCommandTest.run("kernel", "remove", "--prefix", prefix.toString());
        assertTrue(r.out().startsWith("nothing to remove"), r.out());
    }

    @Test
    void userDataDirFollowsJupyterCore() {
        assertEquals(Path.of("/x/data"), KernelSpecs.userDataDir(Map.of("JUPYTER_DATA_DIR", "/x/data")));
        if (!System.getProperty("os.name").toLowerCase().contains("mac")) {
            assertEquals(Path.of("/x/xdg/jupyter"), KernelSpecs.userDataDir(Map.of("XDG_DATA_HOME", "/x/xdg")));
        }
    }

    @Test
    void userAndPrefixTogetherIsAUsageError() {
        ScheduleCommandTest.Result r = ScheduleCommandTest.run("kernel", "install", "--user", "--prefix", "/tmp/x");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("mutually exclusive"), r.err());
    }

    @Test
    void withoutTheLauncherTheErrorSaysSo() {
        System.clearProperty("flowlab.home");
        ScheduleCommandTest.Result r = ScheduleCommandTest.run("kernel", "install", "--prefix", home.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("run this command through the ./flowlab launcher"), r.err());
    }

    @Test
    void badInputToLabAndRunIsNamed() {
        ScheduleCommandTest.Result r = ScheduleCommandTest.run("lab", "--port", "70000");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("port 70000 is not allowed"), r.err());
        r = ScheduleCommandTest.run("run", home.resolve("missing.ipynb").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("missing.ipynb does not exist"), r.err());
        assertTrue(LabCommand.instructions().contains("pip install jupyterlab")
                && LabCommand.instructions().contains("docker run"));
    }
}
