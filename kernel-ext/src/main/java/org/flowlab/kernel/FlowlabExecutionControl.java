package org.flowlab.kernel;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;

/**
 * JShell's in-process execution, reshaped for a notebook kernel:
 * <ul>
 *   <li>snippets run on one long-lived execution thread (not a fresh thread per snippet), which runs the
 *       {@link ExecutionThreads} initializers and binds the cell's output before each snippet;</li>
 *   <li>the value of a snippet is kept as a live object ({@link #takeValue()}), so renderers see the real object
 *       with the same Class identity (snippet classes load in a child of the application class loader);</li>
 *   <li>threads a cell starts are not waited for (JDK's own control joins its whole thread group, so a cell that
 *       starts a background job would never finish);</li>
 *   <li>{@link #stop()} interrupts first (wakes {@code Thread.sleep}, {@code wait}, and library loops that call
 *       {@code Interruption.check}) and, if the cell is still running after {@link #GRACE_MS}, stops it hard: on
 *       JDK 20+ by JShell's instrumented stop checks (every snippet class gets a check of
 *       {@code REPL.$Cancel$.allStop} before branches, JDK-8289613; JDK 25 also at method entry, JDK-8355323),
 *       on JDK 17-19 with {@code Thread.stop} on the execution thread, which is then replaced.</li>
 * </ul>
 */
final class FlowlabExecutionControl extends LocalExecutionControl {
    private static final Logger LOG = Logger.getLogger(FlowlabExecutionControl.class.getName());
    /** Time a cell gets to react to the interrupt before the hard stop; library loops check between steps. */
    static final long GRACE_MS = 500;
    private static final String CANCEL_CLASS = "REPL.$Cancel$";
    private static final AtomicInteger WORKERS = new AtomicInteger();

    /** Whether this JDK instruments snippet classes with stop checks (JDK 20+). */
    static final boolean INSTRUMENTED_STOP = hasInstrumentedStop();

    private final Object lock = new Object();
    private final Runnable beforeEachSnippet;
    private final ScheduledExecutorService escalation = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flowlab-stop-escalation");
        t.setDaemon(true);
        return t;
    });

    private Worker worker; // guarded by lock
    private Task running; // guarded by lock
    /** An interrupt that came between two snippets of a cell: the next snippet does not run. */
    private boolean pendingStop; // guarded by lock
    private Field cancelFlag;
    private boolean bootstrapped;
    private volatile Object value;
    private volatile boolean valuePresent;
    private volatile boolean lastStopped;

    /** @param beforeEachSnippet runs on the execution thread before each snippet (binds the cell's output) */
    FlowlabExecutionControl(Runnable beforeEachSnippet) {
        this.beforeEachSnippet = beforeEachSnippet;
    }

    private static boolean hasInstrumentedStop() {
        try {
            LocalExecutionControl.class.getDeclaredField("allStop");
            return true;
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    /** The live value of the last snippet run, once; empty when it had none or was not run. */
    java.util.Optional<Object> takeValue() {
        boolean present = valuePresent;
        Object v = value;
        valuePresent = false;
        value = null;
        return present ? java.util.Optional.ofNullable(v) : java.util.Optional.empty();
    }

    /** True when the last snippet was stopped by {@link #stop()} (JShell reports that as no error at all). */
    boolean lastSnippetStopped() {
        return lastStopped;
    }

    void clearOutcome() {
        valuePresent = false;
        value = null;
        lastStopped = false;
    }

    /** A new cell starts: interrupts meant for the previous one are forgotten. */
    void beginCell() {
        synchronized (lock) {
            pendingStop = false;
        }
    }

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        if (INSTRUMENTED_STOP && !bootstrapped) {
            bootstrapped = true;
            cancelFlag = bootstrapCancelClass();
        }
        if (cancelFlag != null) {
            cancelFlag.setBoolean(null, false);
        }
        Task task = new Task(doitMethod);
        synchronized (lock) {
            if (pendingStop) {
                lastStopped = true;
                throw new ExecutionControl.StoppedException();
            }
            if (worker == null || !worker.isAlive()) {
                worker = new Worker();
                worker.start();
            }
            running = task;
            worker.offer(task);
        }
        task.await();
        if (task.stopped) {
            lastStopped = true;
            throw new ExecutionControl.StoppedException();
        }
        if (task.failure != null) {
            throw task.failure;
        }
        value = task.result;
        valuePresent = true;
        return describe(task.result);
    }

    /**
     * JShell wants a string; the kernel renders the live object instead, so only cheap values are spelled out
     * (a huge object's toString must not run on every snippet).
     */
    private static String describe(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof Character) {
            return String.valueOf(v);
        }
        if (v instanceof String s) {
            return s.length() <= 200 ? valueString(s) : "String(" + s.length() + " chars)";
        }
        return v.getClass().getName();
    }

    /**
     * On JDK 20+ the instrumented snippets call {@code REPL.$Cancel$.stopCheck()}; JDK's control defines that class
     * on its first invoke. One invoke of a no-op through it defines the class; then the flag is ours to set.
     */
    private Field bootstrapCancelClass() {
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        try {
            Method noop = FlowlabExecutionControl.class.getDeclaredMethod("noop");
            noop.setAccessible(true); // jdk.jshell calls it; this class is not public
            super.invoke(noop);
            return findClass(CANCEL_CLASS).getField("allStop");
        } catch (Exception e) {
            LOG.log(Level.WARNING, "this JDK has no " + CANCEL_CLASS + "; tight loops cannot be stopped", e);
            return null;
        } finally {
            // some JDKs' control installs a global handler while it runs; keep the JVM's own
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }

    /** Target of the bootstrap invoke. */
    public static void noop() {
        // nothing: only defines the stop-check class
    }

    @Override
    public void stop() {
        Task task;
        synchronized (lock) {
            task = running;
            if (task == null || task.done) {
                pendingStop = true;
                return;
            }
            task.owner.interrupt();
        }
        escalation.schedule(() -> hardStop(task), GRACE_MS, TimeUnit.MILLISECONDS);
    }

    @SuppressWarnings("deprecation") // Thread.stop: the only way to end a tight loop on JDK 17-19
    private void hardStop(Task task) {
        synchronized (lock) {
            if (task.done) {
                return;
            }
            if (cancelFlag != null) {
                try {
                    cancelFlag.setBoolean(null, true); // the next stop check in snippet code throws ThreadDeath
                } catch (IllegalAccessException e) {
                    LOG.log(Level.WARNING, "cannot set " + CANCEL_CLASS + ".allStop", e);
                }
                task.owner.interrupt();
                return;
            }
            try {
                Thread victim = task.owner;
                worker = null; // the next snippet gets a fresh thread
                task.finishStopped();
                victim.stop();
            } catch (UnsupportedOperationException e) {
                LOG.warning("cannot stop the running cell: this JDK has neither Thread.stop nor JShell stop checks");
            }
        }
    }

    @Override
    public void close() {
        escalation.shutdownNow();
        synchronized (lock) {
            if (worker != null) {
                worker.shutdown();
            }
        }
        super.close();
    }

    /** One snippet invocation. */
    private final class Task {
        final Method method;
        Thread owner;
        Object result;
        Exception failure;
        boolean stopped;
        boolean done; // guarded by lock

        Task(Method method) {
            this.method = method;
        }

        void run() {
            Object r = null;
            Exception f = null;
            boolean s = false;
            try {
                r = method.invoke(null);
            } catch (InvocationTargetException e) {
                if (isThreadDeath(e.getCause())) {
                    s = true;
                } else {
                    f = e;
                }
            } catch (IllegalAccessException | RuntimeException e) {
                f = e;
            } catch (Error e) {
                if (isThreadDeath(e)) {
                    s = true;
                } else {
                    f = new InvocationTargetException(e);
                }
            }
            synchronized (lock) {
                if (done) {
                    return; // stopped from outside meanwhile
                }
                result = r;
                failure = f;
                stopped = s;
                finish();
            }
        }

        void finishStopped() {
            stopped = true;
            finish();
        }

        private void finish() {
            done = true;
            if (running == this) {
                running = null;
            }
            lock.notifyAll();
        }

        void await() throws InterruptedException {
            synchronized (lock) {
                while (!done) {
                    lock.wait();
                }
            }
        }
    }

    private static boolean isThreadDeath(Throwable t) {
        return t != null && "java.lang.ThreadDeath".equals(t.getClass().getName());
    }

    /** The execution thread: takes one task at a time. */
    private final class Worker extends Thread {
        private Task next; // guarded by lock
        private boolean shutdown; // guarded by lock

        Worker() {
            super("flowlab-exec-" + WORKERS.incrementAndGet());
            setDaemon(true);
            setUncaughtExceptionHandler((t, e) -> {
                if (!isThreadDeath(e)) {
                    LOG.log(Level.SEVERE, "execution thread died", e);
                }
            });
        }

        void offer(Task task) {
            task.owner = this;
            next = task;
            lock.notifyAll();
        }

        void shutdown() {
            shutdown = true;
            lock.notifyAll();
        }

        @Override
        public void run() {
            while (true) {
                Task task;
                synchronized (lock) {
                    while (next == null && !shutdown && worker == this) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            // a late interrupt for a finished cell: ignore
                        }
                    }
                    if (shutdown || worker != this) {
                        return;
                    }
                    task = next;
                    next = null;
                }
                setContextClassLoader(task.method.getDeclaringClass().getClassLoader());
                ExecutionThreads.initializeCurrentThread();
                beforeEachSnippet.run();
                task.run();
                synchronized (lock) {
                    // interrupts only reach a running task (see stop), so none is meant for the next one
                    Thread.interrupted();
                }
            }
        }
    }
}
