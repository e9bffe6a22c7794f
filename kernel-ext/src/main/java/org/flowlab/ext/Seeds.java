package org.flowlab.ext;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.LongConsumer;

/**
 * The notebook's seed ({@code %seed 42}). Libraries with their own generators register a hook that reseeds them
 * (DJL: {@code Seeds.onChange("djl", s -> Engine.getInstance().setRandomSeed((int) s))}).
 */
public final class Seeds {
    private Seeds() {
    }

    private static volatile long seed = 0;
    private static final Map<String, LongConsumer> HOOKS = new LinkedHashMap<>();

    public static long current() {
        return seed;
    }

    /** A generator seeded with the notebook's seed (a new one each call: the same draws each time). */
    public static Random random() {
        return new Random(seed);
    }

    /** Sets the seed and reseeds every registered library; returns the names of the hooks that ran. */
    public static synchronized java.util.List<String> set(long newSeed) {
        seed = newSeed;
        java.util.List<String> ran = new java.util.ArrayList<>();
        for (Map.Entry<String, LongConsumer> e : HOOKS.entrySet()) {
            e.getValue().accept(newSeed);
            ran.add(e.getKey());
        }
        return ran;
    }

    public static synchronized void onChange(String name, LongConsumer hook) {
        HOOKS.put(name, hook);
    }

    /** {@code %seed N}. */
    static String magic(java.util.List<String> args) {
        if (args.isEmpty()) {
            return "seed = " + seed;
        }
        if (args.size() > 1) {
            throw new IllegalArgumentException("%seed takes one number, got " + args + "; e.g. %seed 42");
        }
        long s;
        try {
            s = Long.parseLong(args.get(0));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seed '" + args.get(0) + "' is not a whole number; e.g. %seed 42");
        }
        java.util.List<String> ran = set(s);
        return "seed = " + s + (ran.isEmpty() ? "" : " (reseeded: " + String.join(", ", ran) + ")");
    }
}
