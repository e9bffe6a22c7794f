package org.flowlab.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place that starts DJL's PyTorch engine: offline (the CPU natives ship as a Maven jar, nothing is ever
 * downloaded), a thread count, and the per-thread grad mode that DJL only sets on the loading thread.
 */
public final class Engines {
    private static volatile Engine engine;
    /**
     * DJL's CUDA probe warns at engine start on every machine with a CUDA runtime but no GPU: harmless (DJL-NOTES),
     * so silenced here, for the CLI, the kernel and notebooks alike. Held: java.util.logging forgets the level of a
     * logger nobody references.
     */
    private static final Logger CUDA_PROBE = Logger.getLogger("ai.djl.util.cuda.CudaUtils");

    private Engines() {
    }

    /** Loads the engine once (offline); later calls return it. */
    public static Engine get() {
        Engine e = engine;
        if (e == null) {
            synchronized (Engines.class) {
                if (engine == null) {
                    CUDA_PROBE.setLevel(Level.OFF);
                    if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
                        System.setProperty("ai.djl.offline", "true");
                    }
                    engine = Engine.getEngine("PyTorch");
                }
                e = engine;
            }
        }
        return e;
    }

    /** Whether the engine has been loaded in this JVM (a kernel thread hook must not load it just to configure it). */
    public static boolean isLoaded() {
        return engine != null;
    }

    /**
     * Call on every thread that runs tensor code outside a GradientCollector: DJL disables autograd only on the
     * thread that loaded the engine, and on any other thread arithmetic would silently record a graph.
     */
    public static void prepareThread() {
        get();
        JniUtils.setGradMode(false);
    }

    /**
     * {@code cpu}, {@code cuda} or {@code cuda:i}.
     *
     * @throws IllegalArgumentException for an unknown name, or CUDA on a machine where libtorch sees no GPU
     */
    public static Device device(String name) {
        String n = name == null ? "cpu" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("cuda") || n.equals("gpu") || n.startsWith("cuda:")) {
            int index;
            try {
                index = n.startsWith("cuda:") ? Integer.parseInt(n.substring(5)) : 0;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device '" + name + "' is not cpu, cuda or cuda:N");
            }
            int gpus = get().getGpuCount();
            if (index < 0 || index >= gpus) {
                throw new IllegalArgumentException("device " + name + " was asked for, but libtorch sees " + gpus
                        + " CUDA GPU(s) (" + get().getVersion() + " CPU natives?); use cpu, or build with -Pcuda on a"
                        + " GPU machine");
            }
            return Device.gpu(index);
        }
        throw new IllegalArgumentException("device '" + name + "' is not cpu, cuda or cuda:N");
    }

    /** {@code "PyTorch 2.7.1, 2 threads, cpu"}. */
    public static String describe() {
        Engine e = get();
        return "PyTorch " + e.getVersion() + ", " + JniUtils.getNumThreads() + " threads, " + e.getGpuCount() + " GPU(s)";
    }
}
