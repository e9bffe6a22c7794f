package org.flowlab.kernel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;

/**
 * The kernel process Jupyter starts ({@code kernel.json}: {@code java ... org.flowlab.kernel.KernelMain
 * {connection_file}}). Cells compile against this JVM's classpath, so the library on it is the library cells
 * use, class for class.
 */
public final class KernelMain {
    private static final Logger LOG = Logger.getLogger(KernelMain.class.getName());

    private KernelMain() {
    }

    public static void main(String[] args) {
        // charts and images are drawn off-screen; the launcher sets it too, this covers hand-written kernel.json files
        System.setProperty("java.awt.headless", "true");
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        KernelLog.configure(realErr);
        if (args.length != 1) {
            realErr.println("usage: KernelMain CONNECTION_FILE (Jupyter passes {connection_file}) | --warm-up");
            System.exit(2);
        }
        int code = args[0].equals("--warm-up") ? warmUp(realOut, realErr) : run(Path.of(args[0]), realOut, realErr);
        System.exit(code);
    }

    /**
     * Starts the kernel, runs a plain cell and a plotting cell, and exits: the launcher runs this once per build
     * under {@code -XX:ArchiveClassesAtExit} so later kernel starts map the classes JShell, javac and the
     * renderers need from a class-data-sharing archive instead of loading them one by one.
     */
    static int warmUp(PrintStream realOut, PrintStream realErr) {
        FlowlabKernel kernel = FlowlabKernel.start(version(), System.getProperty("java.class.path"),
                new OutputRouter(realOut, realErr));
        CellOutput discard = new CellOutput() {
            @Override
            public void stream(String name, String text) {
            }

            @Override
            public void display(org.dflib.jjava.jupyter.kernel.display.DisplayData data) {
            }

            @Override
            public void updateDisplay(org.dflib.jjava.jupyter.kernel.display.DisplayData data) {
            }

            @Override
            public void clearOutput(boolean wait) {
            }

            @Override
            public void executeResult(int count, org.dflib.jjava.jupyter.kernel.display.DisplayData data) {
            }

            @Override
            public void error(String ename, String evalue, java.util.List<String> traceback) {
                realErr.println("warm-up cell failed: " + ename + ": " + evalue);
            }
        };
        boolean ok = kernel.executeCell("1 + 1", discard, true).ok()
                && kernel.executeCell("System.out.println(\"warm\");\nSchedulePreset.FLUX_DEV.schedule(8, 512, 512)",
                        discard, true).ok();
        kernel.onShutdown(false);
        return ok ? 0 : 1;
    }

    static int run(Path connectionFile, PrintStream realOut, PrintStream realErr) {
        KernelConnectionProperties props;
        try {
            props = KernelConnectionProperties.parse(Files.readString(connectionFile));
        } catch (NoSuchFileException e) {
            realErr.println("flowlab kernel: connection file " + connectionFile + " does not exist");
            return 2;
        } catch (IOException | RuntimeException e) {
            realErr.println("flowlab kernel: cannot read connection file " + connectionFile + ": " + e);
            return 2;
        }
        long t0 = System.nanoTime();
        FlowlabKernel kernel = FlowlabKernel.start(version(), System.getProperty("java.class.path"),
                new OutputRouter(realOut, realErr));
        CountDownLatch shutdown = new CountDownLatch(1);
        KernelConnection connection;
        try {
            connection = new KernelConnection(props, kernel::takeAbortRequest, shutdown::countDown);
        } catch (Exception e) {
            realErr.println("flowlab kernel: bad connection key or scheme in " + connectionFile + ": " + e);
            return 2;
        }
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        LOG.info(String.format("ready in %.2f s on Java %s; interrupt stops tight loops by %s",
                (System.nanoTime() - t0) / 1e9, Runtime.version(), JShellEvaluator.stopMechanism()));
        try {
            shutdown.await();
            Thread.sleep(50); // let the shutdown reply leave before the sockets close
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            connection.close();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "closing the connection", e);
        }
        LOG.info("shut down");
        return 0;
    }

    static String version() {
        String v = KernelMain.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
