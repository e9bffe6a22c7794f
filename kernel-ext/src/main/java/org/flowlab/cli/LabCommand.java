package org.flowlab.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code flowlab lab}: installs the kernelspec and starts JupyterLab in {@code notebooks/}. Token authentication stays
 * on and the server listens on localhost unless {@code --ip} says otherwise; the server prints its URL with the token.
 * Without a JupyterLab that has ipywidgets (the live sliders need them) it installs both from pip into the project's
 * {@code .venv/}; when that fails it falls back to a classic Notebook on the PATH, or Debian's {@code jupyter-notebook}
 * through apt when it runs as root; when nothing works it says what to install and exits 2.
 */
@Command(name = "lab", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Start JupyterLab (or the classic Notebook) in notebooks/ with the Flowlab kernel installed.")
final class LabCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", description = "port (default: ${DEFAULT-VALUE})")
    int port = 8888;

    @Option(names = "--ip", description = "address to listen on (default: ${DEFAULT-VALUE}, this machine only)")
    String ip = "127.0.0.1";

    @Option(names = "--no-browser", description = "do not open a browser")
    boolean noBrowser;

    @Option(names = "--no-install", description = "never install Jupyter; fail with instructions instead")
    boolean noInstall;

    /** A Jupyter server program and how to call it. */
    record Frontend(String kind, List<String> command) {
    }

    @Override
    public Integer call() throws Exception {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not allowed; use 1..65535");
        }
        PrintWriter err = spec.commandLine().getErr();
        Path launcher = KernelSpecs.launcher();
        Path home = launcher.getParent();
        Path kernelDir = KernelSpecs.install(KernelSpecs.userDataDir(System.getenv()), launcher);
        err.println("flowlab: kernelspec '" + KernelSpecs.NAME + "' installed in " + kernelDir);
        err.flush();
        Optional<Frontend> frontend = findLab(home);
        if (frontend.isEmpty() && !noInstall) {
            frontend = installLab(home, err);
        }
        if (frontend.isEmpty()) {
            frontend = findClassic();
        }
        if (frontend.isEmpty() && !noInstall) {
            frontend = installClassic(err);
        }
        if (frontend.isEmpty()) {
            err.println(instructions());
            err.flush();
            return 2;
        }
        List<String> cmd = new ArrayList<>(frontend.get().command());
        cmd.add("--ip=" + ip);
        cmd.add("--port=" + port);
        cmd.add("--notebook-dir=" + home.resolve("notebooks"));
        if (noBrowser) {
            cmd.add("--no-browser");
        }
        if (isRoot()) {
            cmd.add("--allow-root"); // containers and CI run as root; Jupyter refuses that without the flag
        }
        err.println("flowlab: starting " + frontend.get().kind() + ": " + String.join(" ", cmd));
        err.flush();
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (p.isAlive()) {
                p.destroy(); // Ctrl-C stops the server too
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        return p.waitFor();
    }

    /** JupyterLab with ipywidgets: the project's virtualenv first, then the PATH's. */
    static Optional<Frontend> findLab(Path home) {
        Path venvLab = home.resolve(".venv").resolve("bin").resolve("jupyter-lab");
        List<Frontend> candidates = new ArrayList<>();
        if (Files.isExecutable(venvLab)) {
            candidates.add(new Frontend("JupyterLab (.venv)", List.of(venvLab.toString())));
        }
        onPath("jupyter-lab").ifPresent(p -> candidates.add(new Frontend("JupyterLab", List.of(p.toString()))));
        return candidates.stream().filter(f -> {
            String lab = f.command().get(0);
            return works(List.of(lab, "--version")) && works(List.of(interpreter(Path.of(lab)), "-c", "import ipywidgets"));
        }).findFirst();
    }

    /** The Python a script runs on, from its {@code #!} line (pip writes one); python3 when it has none. */
    static String interpreter(Path script) {
        try (var lines = Files.lines(script)) {
            String first = lines.findFirst().orElse("");
            if (first.startsWith("#!")) {
                String[] words = first.substring(2).trim().split("\\s+");
                return words[0].endsWith("/env") && words.length > 1 ? words[1] : words[0];
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // a binary launcher: fall through
        }
        return "python3";
    }

    /** The classic Notebook on the PATH: the kernel works there, its widgets need the notebook's own extension. */
    static Optional<Frontend> findClassic() {
        Optional<Path> exe = onPath("jupyter-notebook");
        if (exe.isPresent() && works(List.of(exe.get().toString(), "--version"))) {
            return Optional.of(new Frontend("the classic Notebook", List.of(exe.get().toString())));
        }
        return Optional.empty();
    }

    static Optional<Path> onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Runs a command quietly; true when it exits 0 in time (pyenv shims exist but fail, for instance). */
    static boolean works(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** JupyterLab and ipywidgets from pip into {@code .venv/}. */
    private static Optional<Frontend> installLab(Path home, PrintWriter err) {
        Optional<Path> python = onPath("python3");
        if (python.isEmpty()) {
            return Optional.empty();
        }
        Path venv = home.resolve(".venv");
        err.println("flowlab: installing JupyterLab and ipywidgets from pip into " + venv);
        err.flush();
        boolean ok = (Files.isExecutable(venv.resolve("bin").resolve("pip"))
                || runShown(List.of(python.get().toString(), "-m", "venv", venv.toString())))
                && runShown(List.of(venv.resolve("bin").resolve("pip").toString(), "install", "--quiet", "jupyterlab",
                "ipywidgets"));
        if (ok) {
            return findLab(home);
        }
        err.println("flowlab: pip could not install JupyterLab (no package index reachable?); trying the classic Notebook");
        err.flush();
        return Optional.empty();
    }

    private static Optional<Frontend> installClassic(PrintWriter err) {
        if (isRoot() && Files.exists(Path.of("/etc/debian_version")) && onPath("apt-get").isPresent()) {
            err.println("flowlab: installing Debian's jupyter-notebook with apt-get (running as root)");
            err.flush();
            boolean ok = runShown(List.of("apt-get", "install", "-y", "--no-install-recommends", "jupyter-notebook"))
                    || (runShown(List.of("apt-get", "update")) && runShown(List.of("apt-get", "install", "-y",
                    "--no-install-recommends", "jupyter-notebook")));
            if (ok) {
                return findClassic();
            }
            err.println("flowlab: apt-get could not install jupyter-notebook");
        }
        return Optional.empty();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean runShown(List<String> cmd) {
        try {
            return new ProcessBuilder(cmd).inheritIO().start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String instructions() {
        return String.join(System.lineSeparator(),
                "flowlab: no Jupyter server found, and none could be installed here. Install one of:",
                "  JupyterLab:          python3 -m pip install jupyterlab ipywidgets   (then run ./flowlab lab again)",
                "  the classic Notebook: apt-get install jupyter-notebook       (Debian/Ubuntu, as root)",
                "or run the lab in a container (Debian-based, as root, so the apt route works):",
                "  docker run --rm -it -p 8888:8888 -v \"$PWD\":/flowlab -w /flowlab eclipse-temurin:17-jdk \\",
                "    sh -c 'apt-get update && apt-get install -y maven && ./flowlab lab --ip 0.0.0.0 --no-browser'");
    }
}
