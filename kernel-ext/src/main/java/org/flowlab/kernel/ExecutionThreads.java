package org.flowlab.kernel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-thread set-up for every thread the kernel runs user work on: the cell execution thread(s) and the threads
 * of background jobs started through the live display API. Extensions register an initializer once (DJL's grad
 * mode is per thread and must be set explicitly on each, see DJL-NOTES.md); the kernel runs each initializer on
 * each of its threads before that thread's next piece of work, including initializers registered after the thread
 * started.
 *
 * <pre>{@code ExecutionThreads.register("djl-grad-mode", () -> JniUtils.setGradMode(false));}</pre>
 *
 * <p>An initializer that throws is reported on the thread's stderr (the cell's output) and retried before the next
 * piece of work; it never stops the kernel.
 */
public final class ExecutionThreads {
    private ExecutionThreads() {
    }

    private static final Map<String, Runnable> INITIALIZERS = new LinkedHashMap<>();
    /** The initializers (by identity) this thread has already run successfully. */
    private static final ThreadLocal<Set<Runnable>> DONE =
            ThreadLocal.withInitial(() -> Collections.newSetFromMap(new IdentityHashMap<>()));
    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** Adds an initializer, or replaces the one of the same name (threads then run the new one too). */
    public static synchronized void register(String name, Runnable initializer) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an initializer needs a name, e.g. \"djl-grad-mode\"");
        }
        INITIALIZERS.put(name, java.util.Objects.requireNonNull(initializer, "initializer"));
    }

    public static synchronized void unregister(String name) {
        INITIALIZERS.remove(name);
    }

    public static synchronized List<String> names() {
        return List.copyOf(INITIALIZERS.keySet());
    }

    private static synchronized List<Map.Entry<String, Runnable>> snapshot() {
        return new ArrayList<>(INITIALIZERS.entrySet());
    }

    /**
     * Runs, on the calling thread, every registered initializer it has not run yet. Kernel threads call this
     * before each piece of work; a thread of your own that runs kernel work may call it too.
     */
    public static void initializeCurrentThread() {
        Set<Runnable> done = DONE.get();
        for (Map.Entry<String, Runnable> e : snapshot()) {
            if (done.contains(e.getValue())) {
                continue;
            }
            try {
                e.getValue().run();
                done.add(e.getValue());
            } catch (RuntimeException | LinkageError ex) {
                System.err.println("flowlab: thread initializer '" + e.getKey() + "' failed on "
                        + Thread.currentThread().getName() + ": " + ex);
            }
        }
    }

    /** A daemon thread that runs the initializers, then {@code body}. */
    public static Thread newThread(String name, Runnable body) {
        Thread t = new Thread(() -> {
            initializeCurrentThread();
            body.run();
        }, name + "-" + COUNTER.incrementAndGet());
        t.setDaemon(true);
        return t;
    }

    /** A factory of such threads, for executors. */
    public static ThreadFactory factory(String prefix) {
        return body -> newThread(prefix, body);
    }
}
