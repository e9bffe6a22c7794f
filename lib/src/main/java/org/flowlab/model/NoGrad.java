package org.flowlab.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope with autograd off on this thread, restoring what was there before: samplers and no-gradient targets use
 * it so they neither record a graph nor switch a caller's grad mode off behind its back.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;

    private NoGrad() {
        Engines.get();
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    public static NoGrad enter() {
        return new NoGrad();
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
