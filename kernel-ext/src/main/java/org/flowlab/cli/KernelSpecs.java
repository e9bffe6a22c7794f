package org.flowlab.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The kernelspec Jupyter uses to start the Flowlab kernel: {@code kernels/flowlab/kernel.json} in a Jupyter data
 * directory. argv runs the {@code flowlab} launcher, which picks Java ({@code JAVA_HOME}) and JVM options
 * ({@code FLOWLAB_JAVA_OPTS}) when the kernel starts, rebuilds if the sources changed, and starts the kernel JVM
 * with the library on its launch classpath.
 */
final class KernelSpecs {
    static final String NAME = "flowlab";
    static final String DISPLAY_NAME = "Java (Flowlab)";

    private KernelSpecs() {
    }

    /** Where {@code jupyter kernelspec install --user} puts kernels, as jupyter_core computes it. */
    static Path userDataDir(Map<String, String> env) {
        String explicit = env.get("JUPYTER_DATA_DIR");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String home = System.getProperty("user.home");
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (os.contains("mac")) {
            return Path.of(home, "Library", "Jupyter");
        }
        if (os.contains("win")) {
            String appData = env.get("APPDATA");
            return appData != null ? Path.of(appData, "jupyter") : Path.of(home, "AppData", "Roaming", "jupyter");
        }
        String xdg = env.get("XDG_DATA_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(home, ".local", "share")).resolve("jupyter");
    }

    /** {@code --prefix DIR} puts kernels under {@code DIR/share/jupyter}, as {@code jupyter kernelspec install --prefix}. */
    static Path prefixDataDir(Path prefix) {
        return prefix.resolve("share").resolve("jupyter");
    }

    static Path kernelDir(Path dataDir) {
        return dataDir.resolve("kernels").resolve(NAME);
    }

    static JsonObject kernelJson(Path launcher) {
        JsonObject spec = new JsonObject();
        JsonArray argv = new JsonArray();
        argv.add(launcher.toAbsolutePath().toString());
        argv.add("kernel");
        argv.add("start");
        argv.add("{connection_file}");
        spec.add("argv", argv);
        spec.addProperty("display_name", DISPLAY_NAME);
        spec.addProperty("language", "java");
        spec.addProperty("interrupt_mode", "message");
        spec.add("env", new JsonObject());
        JsonObject meta = new JsonObject();
        meta.addProperty("debugger", false);
        meta.addProperty("flowlab_home", launcher.toAbsolutePath().getParent().toString());
        spec.add("metadata", meta);
        return spec;
    }

    /** Writes the kernelspec (replacing an older one) and returns its directory. */
    static Path install(Path dataDir, Path launcher) throws IOException {
        if (!Files.isExecutable(launcher)) {
            throw new IllegalArgumentException("launcher " + launcher + " is missing or not executable; run the command"
                    + " through ./flowlab");
        }
        Path dir = kernelDir(dataDir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("kernel.json"),
                new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(kernelJson(launcher)) + "\n",
                StandardCharsets.UTF_8);
        return dir;
    }

    /** Deletes the kernelspec; false when there was none. */
    static boolean remove(Path dataDir) throws IOException {
        Path dir = kernelDir(dataDir);
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        return true;
    }

    /** The launcher script, from the {@code flowlab.home} property the launcher sets. */
    static Path launcher() {
        String home = System.getProperty("flowlab.home");
        if (home == null || home.isBlank()) {
            throw new IllegalArgumentException("flowlab.home is not set; run this command through the ./flowlab launcher");
        }
        return Path.of(home).resolve("flowlab");
    }
}
