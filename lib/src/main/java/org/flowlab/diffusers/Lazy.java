package org.flowlab.diffusers;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.flowlab.model.Component;

/**
 * A model loaded on its first use. Text encoders are wrapped in one, so a run whose prompt conditioning is cached
 * (SCFM training, a second Glance run) never loads them: T5-XXL alone is about 9.5 GB.
 */
final class Lazy<T extends Component> implements AutoCloseable {
    @FunctionalInterface
    interface Loader<T> {
        T load() throws IOException;
    }

    private final String what;
    private final Loader<T> loader;
    private T value;
    private boolean closed;

    /** @param what the model and its folder, for descriptions before it is loaded */
    Lazy(String what, Loader<T> loader) {
        this.what = what;
        this.loader = loader;
    }

    synchronized T get() {
        if (closed) {
            throw new IllegalStateException(what + " was closed");
        }
        if (value == null) {
            try {
                value = loader.load();
            } catch (IOException e) {
                throw new UncheckedIOException(what + ": " + e.getMessage(), e);
            }
        }
        return value;
    }

    synchronized boolean isLoaded() {
        return value != null;
    }

    @Override
    public synchronized String toString() {
        return value != null ? value.toString() : what + " (not loaded yet)";
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (value != null) {
            value.close();
            value = null;
        }
    }
}
