package org.flowlab.lora;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.flowlab.model.Component;

/**
 * Counts a transformer's forward passes, one per batch row, by the LoRA they ran with ({@link Lora#using()}): what a
 * training step costs in model evaluations, and whether the teacher (LoRA off) runs at all, becomes a measurement.
 * Transformers record every velocity call; counts are process-wide and only ever grow, so read a difference.
 */
public final class PassCounter {
    private static final Map<String, LongAdder> COUNTS = new ConcurrentHashMap<>();

    private PassCounter() {
    }

    /** One forward pass over {@code rows} samples of {@code transformer}, under the LoRA choice of this thread. */
    public static void record(Component transformer, long rows) {
        COUNTS.computeIfAbsent(Lora.of(transformer).using(), k -> new LongAdder()).add(rows);
    }

    /** Rows evaluated so far, by LoRA choice, sorted by name. */
    public static Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        COUNTS.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Rows evaluated since {@code before} (a {@link #snapshot()}), by LoRA choice; choices with none left out. */
    public static Map<String, Long> since(Map<String, Long> before) {
        Map<String, Long> out = new TreeMap<>();
        snapshot().forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d != 0) {
                out.put(k, d);
            }
        });
        return out;
    }
}
