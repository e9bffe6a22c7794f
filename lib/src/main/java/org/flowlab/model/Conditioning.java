package org.flowlab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link FlowModel} is conditioned on besides (latents, sigma): the output of its {@link TextEncoder}, a set
 * of named batch-first tensors whose meaning only that model knows (toy: {@code context} (B, L, E); Flux: T5 states
 * and the pooled CLIP vector; SD3: joint states and pooled), plus an optional guidance value per sample.
 *
 * <p>Methods and samplers treat it as opaque: they only ask its batch size, join two (classifier-free guidance runs
 * conditional and unconditional rows in one call), pick rows (sub-batches of an SCFM step) and attach guidance.
 * Immutable; the tensors live in the manager they were created in.
 */
public final class Conditioning {
    private final List<String> prompts;
    private final Map<String, NDArray> tensors;
    private final NDArray guidance;

    private Conditioning(List<String> prompts, Map<String, NDArray> tensors, NDArray guidance) {
        this.prompts = List.copyOf(prompts);
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.guidance = guidance;
        for (Map.Entry<String, NDArray> e : this.tensors.entrySet()) {
            long rows = e.getValue().getShape().get(0);
            if (rows != this.prompts.size()) {
                throw new IllegalArgumentException(this.prompts.size() + " prompts but tensor '" + e.getKey() + "' has "
                        + rows + " rows (shape " + e.getValue().getShape() + ")");
            }
        }
        if (guidance != null && (guidance.getShape().dimension() != 1 || guidance.getShape().get(0) != this.prompts.size())) {
            throw new IllegalArgumentException("guidance has shape " + guidance.getShape() + "; it needs one value per"
                    + " sample (" + this.prompts.size() + ")");
        }
    }

    /**
     * @param prompts one text per row (kept for traces and displays)
     * @param tensors named tensors, each with one row per prompt on axis 0
     */
    public static Conditioning of(List<String> prompts, Map<String, NDArray> tensors) {
        return new Conditioning(prompts, tensors, null);
    }

    public int batchSize() {
        return prompts.size();
    }

    public List<String> prompts() {
        return prompts;
    }

    /** A named tensor; the message lists the names there are. */
    public NDArray tensor(String name) {
        NDArray t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("this conditioning has no tensor '" + name + "' (it has "
                    + tensors.keySet() + "); was it made by another model's text encoder?");
        }
        return t;
    }

    public Map<String, NDArray> tensors() {
        return tensors;
    }

    /** Guidance values (B), or null for a model without a guidance input. */
    public NDArray guidance() {
        return guidance;
    }

    /** The same rows with these guidance values (B), or none (null). */
    public Conditioning withGuidance(NDArray values) {
        return new Conditioning(prompts, tensors, values);
    }

    /** The same rows with one guidance value for every sample, created in {@code manager}. */
    public Conditioning withGuidance(double value, NDManager manager) {
        float[] g = new float[batchSize()];
        java.util.Arrays.fill(g, (float) value);
        return withGuidance(OwnedArrays.create(manager, g));
    }

    /** These rows followed by the other's (same tensor names; guidance on both sides or neither). */
    public Conditioning concat(Conditioning other) {
        if (!tensors.keySet().equals(other.tensors.keySet())) {
            throw new IllegalArgumentException("cannot join conditionings with tensors " + tensors.keySet() + " and "
                    + other.tensors.keySet());
        }
        if ((guidance == null) != (other.guidance == null)) {
            throw new IllegalArgumentException("cannot join a conditioning with guidance values to one without");
        }
        List<String> p = new ArrayList<>(prompts);
        p.addAll(other.prompts);
        Map<String, NDArray> t = new LinkedHashMap<>();
        tensors.forEach((k, v) -> t.put(k, NDArrays.concat(new NDList(v, other.tensors.get(k)))));
        NDArray g = guidance == null ? null : NDArrays.concat(new NDList(guidance, other.guidance));
        return new Conditioning(p, t, g);
    }

    /** The rows at these indices, in this order (repeats allowed). */
    public Conditioning select(int... rows) {
        if (tensors.isEmpty() && guidance == null) {
            List<String> p = new ArrayList<>();
            for (int r : rows) {
                p.add(prompts.get(r));
            }
            return new Conditioning(p, tensors, null);
        }
        NDManager m = (guidance != null ? guidance : tensors.values().iterator().next()).getManager();
        long[] idx = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            idx[i] = rows[i];
        }
        try (NDArray index = m.create(idx)) {
            return select(index, rows);
        }
    }

    /** The rows of an int64 index tensor (B'), on the tensors' device; {@code rows} names them for the prompts. */
    private Conditioning select(NDArray index, int[] rows) {
        List<String> p = new ArrayList<>(rows.length);
        for (int r : rows) {
            if (r < 0 || r >= prompts.size()) {
                throw new IndexOutOfBoundsException("row " + r + " of a conditioning of " + prompts.size() + " rows");
            }
            p.add(prompts.get(r));
        }
        Map<String, NDArray> t = new LinkedHashMap<>();
        tensors.forEach((k, v) -> t.put(k, v.get(index)));
        return new Conditioning(p, t, guidance == null ? null : guidance.get(index));
    }

    /** The same conditioning with every tensor copied into {@code manager} (a cache that outlives a batch). */
    public Conditioning copyTo(NDManager manager) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            NDArray c = v.duplicate();
            c.attach(manager);
            t.put(k, c);
        });
        NDArray g = null;
        if (guidance != null) {
            g = guidance.duplicate();
            g.attach(manager);
        }
        return new Conditioning(prompts, t, g);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Conditioning of " + batchSize() + " rows:");
        tensors.forEach((k, v) -> sb.append(' ').append(k).append(' ').append(v.getShape()));
        if (guidance != null) {
            sb.append(", guidance");
        }
        return sb.toString();
    }
}
