package org.flowlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code flowlab kernel install|remove}: the "Java (Flowlab)" kernelspec for Jupyter. */
@Command(name = "kernel", mixinStandardHelpOptions = true,
        description = "Install or remove the Jupyter kernelspec 'flowlab' (display name \"Java (Flowlab)\").",
        subcommands = {KernelCommand.Install.class, KernelCommand.Remove.class},
        footer = {"", "The kernel starts through the launcher, so JAVA_HOME and FLOWLAB_JAVA_OPTS apply when it starts."})
final class KernelCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code --user} (the default) or {@code --prefix DIR}. */
    static final class Where {
        @Option(names = "--user", description = "the user's Jupyter data directory (default; honours JUPYTER_DATA_DIR)")
        boolean user;

        @Option(names = "--prefix", paramLabel = "DIR", description = "DIR/share/jupyter/kernels/flowlab, as"
                + " 'jupyter kernelspec install --prefix' does")
        Path prefix;

        Path dataDir() {
            return prefix != null ? KernelSpecs.prefixDataDir(prefix) : KernelSpecs.userDataDir(System.getenv());
        }
    }

    static Path dataDir(Where where) {
        return where == null ? KernelSpecs.userDataDir(System.getenv()) : where.dataDir();
    }

    @Command(name = "install", mixinStandardHelpOptions = true, description = "Write the kernelspec (replaces an older one).")
    static final class Install implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ArgGroup(exclusive = true)
        Where where;

        @Override
        public Integer call() throws Exception {
            Path dir = KernelSpecs.install(dataDir(where), KernelSpecs.launcher());
            PrintWriter out = spec.commandLine().getOut();
            out.println("installed kernelspec '" + KernelSpecs.NAME + "' (" + KernelSpecs.DISPLAY_NAME + ") in " + dir);
            out.flush();
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Delete the kernelspec.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ArgGroup(exclusive = true)
        Where where;

        @Override
        public Integer call() throws Exception {
            Path data = dataDir(where);
            PrintWriter out = spec.commandLine().getOut();
            if (KernelSpecs.remove(data)) {
                out.println("removed kernelspec '" + KernelSpecs.NAME + "' from " + KernelSpecs.kernelDir(data));
            } else {
                out.println("nothing to remove: no kernelspec '" + KernelSpecs.NAME + "' in " + KernelSpecs.kernelDir(data));
            }
            out.flush();
            return 0;
        }
    }
}
