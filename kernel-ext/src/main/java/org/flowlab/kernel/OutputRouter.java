package org.flowlab.kernel;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code System.out} and {@code System.err} for the whole kernel JVM, installed once and never swapped back and
 * forth per request (the base library swaps them only while an execute request runs, so anything a background
 * thread prints later is lost). Each write goes to the output of the cell that the writing thread belongs to:
 * the execution thread binds the running cell; threads inherit the binding of the thread that created them, so a
 * training thread started in cell 3 keeps writing under cell 3 after it finished. Threads with no binding write
 * under the most recent cell. Before any cell ran, writes go to the kernel's own stdout/stderr (its log).
 *
 * <p>Streams are flushed every {@value #FLUSH_MS} ms, when a display is shown, and at the end of each cell.
 */
public final class OutputRouter {
    static final long FLUSH_MS = 50;

    private final InheritableThreadLocal<OutputTarget> bound = new InheritableThreadLocal<>();
    /** Targets written to recently; idle ones drop out and come back on their next write. */
    private final Set<OutputTarget> live = ConcurrentHashMap.newKeySet();
    private final PrintStream realOut;
    private final PrintStream realErr;
    private volatile OutputTarget latest;
    private ScheduledExecutorService flusher;

    public OutputRouter(PrintStream realOut, PrintStream realErr) {
        this.realOut = realOut;
        this.realErr = realErr;
    }

    /** Replaces System.out/err with the routed streams and starts the periodic flush. */
    public synchronized void install() {
        if (flusher != null) {
            return;
        }
        System.setOut(new PrintStream(new Routed(false), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Routed(true), true, StandardCharsets.UTF_8));
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flowlab-output-flush");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(this::flushAll, FLUSH_MS, FLUSH_MS, TimeUnit.MILLISECONDS);
    }

    /** Puts the JVM's own streams back. */
    public synchronized void uninstall() {
        if (flusher == null) {
            return;
        }
        flushAll();
        flusher.shutdownNow();
        flusher = null;
        System.setOut(realOut);
        System.setErr(realErr);
    }

    /** A target for a new cell; it becomes the fallback for threads that belong to no cell. */
    public OutputTarget open(CellOutput output, String label) {
        OutputTarget t = new OutputTarget(output, label);
        latest = t;
        return t;
    }

    /** Binds the calling thread (and threads it creates from now on) to {@code target}. */
    public void bind(OutputTarget target) {
        bound.set(target);
    }

    /** The target the calling thread writes to, or null before any cell ran. */
    public OutputTarget current() {
        OutputTarget t = bound.get();
        return t != null ? t : latest;
    }

    void flushAll() {
        long now = System.nanoTime();
        for (OutputTarget t : live) {
            try {
                t.flush();
            } catch (RuntimeException e) {
                realErr.println("flowlab: output lost: " + e);
            }
            if (now - t.lastWriteNanos > IDLE_NANOS) {
                t.registered = false;
                live.remove(t);
                if (t.pending()) { // a write raced with the removal
                    register(t);
                }
            }
        }
    }

    private static final long IDLE_NANOS = 10_000_000_000L;

    private void register(OutputTarget t) {
        t.registered = true;
        live.add(t);
    }

    void write(OutputTarget t, boolean stderr, byte[] b, int off, int len) {
        t.write(stderr, b, off, len);
        if (!t.registered) {
            register(t);
        }
    }

    private final class Routed extends OutputStream {
        private final boolean stderr;

        Routed(boolean stderr) {
            this.stderr = stderr;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            OutputTarget t = current();
            if (t == null) {
                (stderr ? realErr : realOut).write(b, off, len);
            } else {
                OutputRouter.this.write(t, stderr, b, off, len);
            }
        }

        @Override
        public void flush() {
            if (current() == null) {
                (stderr ? realErr : realOut).flush();
            }
        }
    }
}
