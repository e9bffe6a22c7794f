package org.flowlab.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Parameters by dotted name, in creation order (the order checkpoints and optimizers use). */
public final class NamedParameters {
    private final Map<String, Parameter> byName = new LinkedHashMap<>();

    public Parameter add(Parameter p) {
        if (byName.putIfAbsent(p.name(), p) != null) {
            throw new IllegalStateException("duplicate parameter name " + p.name());
        }
        return p;
    }

    public Parameter get(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named '" + name + "'");
        }
        return p;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public Collection<Parameter> all() {
        return Collections.unmodifiableCollection(byName.values());
    }

    public List<Parameter> trainable() {
        return filter(Parameter::trainable);
    }

    public List<Parameter> filter(Predicate<Parameter> keep) {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : byName.values()) {
            if (keep.test(p)) {
                out.add(p);
            }
        }
        return out;
    }

    public int size() {
        return byName.size();
    }

    /** Total number of scalars. */
    public long count() {
        long n = 0;
        for (Parameter p : byName.values()) {
            n += p.shape().size();
        }
        return n;
    }

    public void setTrainable(boolean trainable) {
        byName.values().forEach(p -> p.setTrainable(trainable));
    }
}
