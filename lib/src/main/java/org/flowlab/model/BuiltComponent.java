package org.flowlab.model;

import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.Map;

/**
 * What every component built with a {@link ModuleBuilder} holds: its manager, and the builder's named parameters and
 * Linears (live views, filled as the subclass's constructor declares its layers). Closing it frees every array.
 */
public abstract class BuiltComponent implements Component {
    private final NDManager manager;
    private final NamedParameters parameters;
    private final Map<String, LinearLayer> linears;

    protected BuiltComponent(NDManager manager, ModuleBuilder mb) {
        this.manager = manager;
        this.parameters = mb.parameters();
        this.linears = Collections.unmodifiableMap(mb.linears());
    }

    @Override
    public final NDManager manager() {
        return manager;
    }

    @Override
    public final NamedParameters parameters() {
        return parameters;
    }

    @Override
    public final Map<String, LinearLayer> linears() {
        return linears;
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public void close() {
        manager.close();
    }
}
