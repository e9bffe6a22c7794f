package org.flowlab.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A set of values for an adapter's parameters, by parameter name ({@code <module>.lora_A.weight}, ...): an EMA, a
 * snapshot, or a view of the adapter's own live parameters. Overrides and EMA updates use these.
 */
public final class WeightSet implements AutoCloseable {
    private final String name;
    private final Map<String, NDArray> arrays;
    private final NDManager owned; // null for a view that owns nothing

    private WeightSet(String name, Map<String, NDArray> arrays, NDManager owned) {
        this.name = name;
        this.arrays = Collections.unmodifiableMap(arrays);
        this.owned = owned;
    }

    /** A live view of the adapter's parameters (no copy; closing it frees nothing). */
    public static WeightSet view(LoraAdapter adapter) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        adapter.parameters().all().forEach(p -> m.put(p.name(), p.array()));
        return new WeightSet(adapter.name(), m, null);
    }

    /** Zeros shaped like the adapter: with these, the LoRA branch adds nothing (the base model). */
    public static WeightSet zerosLike(LoraAdapter adapter, String name) {
        NDManager manager = adapter.manager().newSubManager();
        Map<String, NDArray> m = new LinkedHashMap<>();
        adapter.parameters().all().forEach(p -> m.put(p.name(), manager.zeros(p.shape())));
        return new WeightSet(name, m, manager);
    }

    /** A copy of the adapter's current values. */
    public static WeightSet copyOf(LoraAdapter adapter, String name) {
        NDManager manager = adapter.manager().newSubManager();
        Map<String, NDArray> m = new LinkedHashMap<>();
        adapter.parameters().all().forEach(p -> {
            NDArray copy = manager.zeros(p.shape());
            copy.set(new NDIndex("..."), p.array());
            m.put(p.name(), copy);
        });
        return new WeightSet(name, m, manager);
    }

    public String name() {
        return name;
    }

    public Set<String> names() {
        return arrays.keySet();
    }

    public NDArray get(String parameterName) {
        NDArray a = arrays.get(parameterName);
        if (a == null) {
            throw new IllegalArgumentException("weight set '" + name + "' has no entry " + parameterName);
        }
        return a;
    }

    public Map<String, NDArray> arrays() {
        return arrays;
    }

    /** Overwrites every entry in place with the other set's values (names must match). */
    public void copyFrom(WeightSet other) {
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            e.getValue().set(new NDIndex("..."), other.get(e.getKey()));
        }
    }

    /** Sets every entry to zero in place. */
    public void fillZero() {
        for (NDArray a : arrays.values()) {
            a.set(new NDIndex("..."), 0f);
        }
    }

    /** sqrt of the sum of squares over all entries. */
    public double norm() {
        double sum = 0;
        for (NDArray a : arrays.values()) {
            try (NDArray sq = a.square(); NDArray s = sq.sum()) {
                sum += s.getFloat();
            }
        }
        return Math.sqrt(sum);
    }

    /** Euclidean distance to another set with the same names. */
    public double distance(WeightSet other) {
        double sum = 0;
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            try (NDArray d = e.getValue().sub(other.get(e.getKey())); NDArray sq = d.square(); NDArray s = sq.sum()) {
                sum += s.getFloat();
            }
        }
        return Math.sqrt(sum);
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    @Override
    public String toString() {
        return "WeightSet " + name + " (" + arrays.size() + " arrays)";
    }
}
