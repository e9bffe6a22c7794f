package org.flowlab.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.WeakHashMap;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.Component;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.Ops;
import org.flowlab.model.Parameter;

/**
 * The LoRA state of one model component (a transformer, a text encoder): its adapters, the active one, the
 * runtime scale ({@code lora_scale} at inference), and per-thread overrides of adapter, weights and scale. Get it
 * with {@link #of(Component)}.
 *
 * <p>Overrides are scopes on the calling thread: a sampler picks its adapter and scale per call with
 * {@link #useAdapter(String, double)}, so sampling in one thread never changes what a training run in another
 * thread computes. {@link #activate} and {@link #setScale} change the model-wide defaults.
 */
public final class Lora {
    /** The adapter name that means "LoRA off": the base model (SCFM's teacher). */
    public static final String BASE = "base";

    private static final Map<Component, Lora> HOSTS = Collections.synchronizedMap(new WeakHashMap<>());

    private final Component model;
    // read by forward passes on any thread, written by add/remove: synchronized
    private final Map<String, LoraAdapter> adapters = Collections.synchronizedMap(new LinkedHashMap<>());
    private volatile String active;
    private volatile double scale = 1.0;
    private volatile String merged;
    private final ThreadLocal<Choice> override = new ThreadLocal<>();

    /**
     * What a thread's forward passes use instead of the active adapter, its own weights and the model-wide scale
     * (a NaN scale means the model-wide one).
     */
    private record Choice(String adapter, WeightSet weights, boolean base, double scale) {
    }

    private Lora(Component model) {
        this.model = model;
    }

    /** The one LoRA host of this component (created on first use). */
    public static Lora of(Component model) {
        synchronized (HOSTS) {
            return HOSTS.computeIfAbsent(model, Lora::new);
        }
    }

    public Component model() {
        return model;
    }

    /** Whether an adapter of this name is on the component. */
    public boolean has(String name) {
        return adapters.containsKey(name);
    }

    /**
     * Adds an adapter on every Linear the selector matches: A ~ N(0, 1/r) (PEFT's gaussian init), B = 0, both
     * trainable. The first adapter added becomes active.
     */
    public synchronized LoraAdapter add(LoraConfig config, long seed) {
        if (adapters.containsKey(config.name())) {
            throw new IllegalArgumentException("an adapter named '" + config.name() + "' exists already; remove it first");
        }
        List<LinearLayer> targets = new ArrayList<>();
        for (LinearLayer layer : model.linears().values()) {
            if (config.targets().matches(layer.name())) {
                targets.add(layer);
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("the LoRA targets " + config.targets() + " match no Linear of this model"
                    + " (names look like " + String.join(", ", model.linears().keySet().stream().limit(4).toList()) + ")");
        }
        NDManager manager = model.manager().newSubManager();
        SplittableRandom rng = new SplittableRandom(seed);
        NamedParameters params = new NamedParameters();
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        int r = config.rank();
        for (LinearLayer layer : targets) {
            float[] a = new float[Math.toIntExact(r * layer.inFeatures())];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rng.nextGaussian() / r);
            }
            Parameter pa = params.add(new Parameter(LoraAdapter.aName(layer.name()),
                    org.flowlab.model.OwnedArrays.create(manager, a, new Shape(r, layer.inFeatures()))));
            Parameter pb = params.add(new Parameter(LoraAdapter.bName(layer.name()),
                    manager.zeros(new Shape(layer.outFeatures(), r))));
            pa.setTrainable(true);
            pb.setTrainable(true);
            pairs.put(layer.name(), new LoraAdapter.Pair(layer.name(), pa, pb));
            if (layer.branch() == null) {
                layer.setBranch(this::branch); // one host per model, so a set branch is already ours
            }
        }
        LoraAdapter adapter = new LoraAdapter(config, manager, pairs, params);
        adapters.put(config.name(), adapter);
        if (active == null) {
            active = config.name();
        }
        return adapter;
    }

    /** Removes an adapter and frees its arrays. */
    public synchronized void remove(String name) {
        LoraAdapter a = adapter(name);
        if (name.equals(merged)) {
            throw new IllegalStateException("adapter '" + name + "' is merged; unmerge() first");
        }
        adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
        a.manager().close();
    }

    public LoraAdapter adapter(String name) {
        LoraAdapter a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "'; this model has " + adapters.keySet());
        }
        return a;
    }

    public List<LoraAdapter> adapters() {
        synchronized (adapters) {
            return List.copyOf(adapters.values());
        }
    }

    /** Makes this adapter the one forward passes use; {@code "base"} or null turns LoRA off. */
    public void activate(String name) {
        if (name == null || name.equals(BASE)) {
            requireNotMerged("deactivate");
            active = null;
            return;
        }
        adapter(name);
        if (merged != null && !merged.equals(name)) {
            throw new IllegalStateException("adapter '" + merged + "' is merged into the base; unmerge() before switching");
        }
        active = name;
    }

    /** The active adapter's name, or {@code "base"}. */
    public String active() {
        String a = active;
        return a == null ? BASE : a;
    }

    /**
     * What this thread's forward passes run with now: {@code "base"} (LoRA off), the adapter's name, or the name
     * followed by {@code " (other weights)"} when a scope lends it other A/B arrays (an EMA of the student).
     */
    public String using() {
        Choice o = override.get();
        String a = chosen(o);
        if (a == null) {
            return BASE;
        }
        return o != null && o.weights() != null ? a + " (other weights)" : a;
    }

    /** The inference {@code lora_scale}: multiplies every branch (0 = base, 1 = as trained). */
    public void setScale(double newScale) {
        if (!Double.isFinite(newScale)) {
            throw new IllegalArgumentException("LoRA scale " + newScale + " is not a finite number");
        }
        requireNotMerged("change the scale");
        scale = newScale;
    }

    public double scale() {
        return scale;
    }

    /**
     * A scope in which this thread's forward passes use {@code weights} in place of an adapter's own: the adapter an
     * enclosing scope picked, else the model-wide active one. Prefer {@link #use(String, WeightSet)}, which names it.
     */
    public Scope use(WeightSet weights) {
        String a = chosen(override.get());
        if (a == null) {
            throw new IllegalStateException("no adapter is active, so there is nothing to override");
        }
        return use(a, weights);
    }

    /**
     * A scope in which this thread's forward passes run adapter {@code name} with {@code weights} (an EMA of it) in
     * place of its own arrays: its rank and alpha, whatever else is active.
     */
    public Scope use(String name, WeightSet weights) {
        requireNotMerged("override weights");
        adapter(name);
        return push(new Choice(name, weights, false, Double.NaN));
    }

    /** A scope in which this thread's forward passes skip LoRA entirely: the base model, exactly. */
    public Scope useBase() {
        requireNotMerged("run the base");
        return push(new Choice(null, null, true, Double.NaN));
    }

    /** A scope in which this thread's forward passes use the named adapter with its own weights. */
    public Scope useAdapter(String name) {
        return useAdapter(name, Double.NaN);
    }

    /**
     * A scope in which this thread's forward passes use the named adapter ({@code "base"} = LoRA off) with its own
     * weights at this {@code lora_scale} (NaN: the enclosing scope's, else the model-wide one).
     */
    public Scope useAdapter(String name, double scale) {
        if (name == null || name.equals(BASE)) {
            return useBase();
        }
        adapter(name);
        if (!name.equals(merged)) {
            requireNotMerged("switch adapters");
        } else if (!Double.isNaN(scale) && scale != this.scale) {
            throw new IllegalStateException("adapter '" + name + "' is merged at scale " + this.scale
                    + "; unmerge() to sample it at scale " + scale);
        }
        return push(new Choice(name, null, false, scale));
    }

    /**
     * A scope in which this thread's forward passes run at this {@code lora_scale}, whichever adapter a nested scope
     * (or the model) picks.
     */
    public Scope withScale(double scale) {
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("LoRA scale " + scale + " is not a finite number");
        }
        Choice o = override.get();
        return push(o == null ? new Choice(null, null, false, scale) : new Choice(o.adapter(), o.weights(), o.base(), scale));
    }

    private Scope push(Choice o) {
        Choice previous = override.get();
        if (Double.isNaN(o.scale()) && previous != null) {
            o = new Choice(o.adapter(), o.weights(), o.base(), previous.scale()); // a nested scope keeps the scale
        }
        override.set(o);
        return () -> override.set(previous);
    }

    /** Ends an override; nothing else can fail. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Folds the active adapter into the base weights ({@code W += s (alpha/r) B A}); forward passes skip the branch. */
    public synchronized void merge() {
        if (merged != null) {
            throw new IllegalStateException("adapter '" + merged + "' is merged already");
        }
        String a = active;
        if (a == null) {
            throw new IllegalStateException("no adapter is active; activate one to merge");
        }
        applyMerge(adapter(a), +1);
        merged = a;
    }

    /** Undoes {@link #merge()}. */
    public synchronized void unmerge() {
        if (merged == null) {
            throw new IllegalStateException("nothing is merged");
        }
        applyMerge(adapter(merged), -1);
        merged = null;
    }

    public boolean isMerged() {
        return merged != null;
    }

    private void applyMerge(LoraAdapter adapter, int sign) {
        float factor = (float) (sign * scale * adapter.config().scale());
        for (String module : adapter.modules()) {
            LoraAdapter.Pair p = adapter.pair(module);
            NDArray w = model.linears().get(module).weight().array();
            try (NDArray ba = p.b().array().matMul(p.a().array()); NDArray delta = ba.mul(factor);
                 NDArray typed = delta.toType(w.getDataType(), false)) {
                w.addi(typed);
            }
        }
    }

    private void requireNotMerged(String what) {
        if (merged != null) {
            throw new IllegalStateException("cannot " + what + " while adapter '" + merged + "' is merged; unmerge() first");
        }
    }

    /** The adapter this thread's scope (else the model) picks; null for LoRA off. */
    private String chosen(Choice o) {
        if (o != null && o.base()) {
            return null;
        }
        return o != null && o.adapter() != null ? o.adapter() : active;
    }

    /** The LoRA term of one Linear for this thread's current choice of adapter and weights. */
    private NDArray branch(LinearLayer layer, NDArray x) {
        Choice o = override.get();
        String name = chosen(o);
        if (name == null || name.equals(merged)) {
            return null; // a merged adapter is already in the base weights
        }
        LoraAdapter adapter = adapters.get(name);
        LoraAdapter.Pair pair = adapter == null ? null : adapter.pair(layer.name());
        if (pair == null) {
            return null;
        }
        NDArray a = o != null && o.weights() != null ? o.weights().get(pair.a().name()) : pair.a().array(); // (r, in)
        NDArray b = o != null && o.weights() != null ? o.weights().get(pair.b().name()) : pair.b().array(); // (out, r)
        double s = o != null && !Double.isNaN(o.scale()) ? o.scale() : scale;
        // LoRA weights stay float32 on an fp16 base: the branch runs in float32, its output joins in the base's dtype
        NDArray in = Ops.cast(x, a.getDataType());
        NDArray h = Ops.scale(Linear.linear(in, a).singletonOrThrow(), s * adapter.config().scale()); // (..., r)
        NDArray delta = Linear.linear(h, b).singletonOrThrow();                                             // (..., out)
        return Ops.cast(delta, x.getDataType());
    }
}
