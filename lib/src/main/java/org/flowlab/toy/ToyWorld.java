package org.flowlab.toy;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.flowlab.io.LoraFiles;
import org.flowlab.model.DiffusionModel;
import org.flowlab.scfm.Scfm;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.ScfmGrid;
import org.flowlab.schedule.TimeShift;

/**
 * Conventions of the toy world shared by every method so comparisons are fair: one inference schedule family
 * ({@code linspace(1, 0, n+1)} with a static shift, first point {@code 1 - 1e-5}, as SCFM samples), the prompt sets
 * evaluations use, and the 32-step teacher reference.
 */
public final class ToyWorld {
    /** The static shift toy inference uses unless told otherwise. */
    public static final double DEFAULT_SHIFT = 1.0;
    /** Steps of the teacher reference that fidelity is measured against. */
    public static final int REFERENCE_STEPS = 32;

    private ToyWorld() {
    }

    /** Classpath location of the shipped distilled SCFM student. */
    public static final String SHIPPED_SCFM = "/models/scfm-toy.safetensors";

    /**
     * Puts the shipped SCFM student on {@code model} as adapter {@code "student"} (its transformer and text-encoder
     * parts, replacing adapters of that name) and returns the file, whose metadata holds the recommended inference
     * settings.
     */
    public static LoraFiles.LoraFile loadShippedScfm(DiffusionModel model) throws IOException {
        try (InputStream in = ToyWorld.class.getResourceAsStream(SHIPPED_SCFM)) {
            if (in == null) {
                throw new IOException(SHIPPED_SCFM + " is not on the classpath; build with the repository's"
                        + " models/ folder, or distil one: ./flowlab scfm train");
            }
            LoraFiles.LoraFile file = LoraFiles.read(in.readAllBytes(), SHIPPED_SCFM);
            LoraFiles.load(model.components(), file, Scfm.STUDENT);
            return file;
        }
    }

    /** The toy inference schedule at {@code steps} steps. */
    public static Schedule schedule(int steps, double shift) {
        return ScfmGrid.schedule(steps, TimeShift.of(shift));
    }

    public static Schedule schedule(int steps) {
        return schedule(steps, DEFAULT_SHIFT);
    }

    /** {@code n} held-in combinations, the same for every call with this seed. */
    public static List<ShapeAttributes> heldInPrompts(int n, long seed) {
        return pick(ToyShapes.heldIn(), n, seed);
    }

    /** {@code n} held-out combinations (colour-shape pairs training never saw). */
    public static List<ShapeAttributes> heldOutPrompts(int n, long seed) {
        return pick(ToyShapes.heldOut(), n, seed);
    }

    private static List<ShapeAttributes> pick(List<ShapeAttributes> from, int n, long seed) {
        if (n < 1 || n > from.size()) {
            throw new IllegalArgumentException(n + " prompts asked for; choose 1.." + from.size());
        }
        List<ShapeAttributes> pool = new ArrayList<>(from);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = pool.size() - 1; i > 0; i--) {
            java.util.Collections.swap(pool, i, rng.nextInt(i + 1));
        }
        return List.copyOf(pool.subList(0, n));
    }
}
