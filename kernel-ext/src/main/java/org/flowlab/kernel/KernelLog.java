package org.flowlab.kernel;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The kernel's own log goes to the JVM's real stderr (what Jupyter's server shows in its terminal), never into a
 * notebook cell: set up before System.err is routed to cells. The base library logs through slf4j, bound to
 * java.util.logging. {@code FLOWLAB_KERNEL_DEBUG=1} shows debug messages.
 */
final class KernelLog {
    /** java.util.logging keeps loggers weakly: a level set on a logger nobody holds is forgotten. */
    private static final Logger FLOWLAB = Logger.getLogger("org.flowlab");

    private KernelLog() {
    }

    static void configure(PrintStream realErr) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Level level = System.getenv("FLOWLAB_KERNEL_DEBUG") != null ? Level.FINE : Level.INFO;
        Handler h = new StreamHandler(realErr, new Formatter() {
            @Override
            public String format(LogRecord r) {
                String line = "[flowlab-kernel " + LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " "
                        + r.getLevel().getName() + "] " + formatMessage(r) + System.lineSeparator();
                if (r.getThrown() != null) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    line += sw;
                }
                return line;
            }
        }) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        h.setLevel(level);
        root.addHandler(h);
        // Flowlab's own messages at INFO; the libraries' (the base library names loggers after its threads) only
        // when they warn, unless debugging
        root.setLevel(level == Level.FINE ? Level.FINE : Level.WARNING);
        FLOWLAB.setLevel(level);
    }
}
