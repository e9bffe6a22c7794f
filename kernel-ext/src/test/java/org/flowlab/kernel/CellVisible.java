package org.flowlab.kernel;

/** State the test cells can reach (cells live in JShell's package, so only public members are visible). */
public final class CellVisible {
    private CellVisible() {
    }

    public static final ThreadLocal<String> MARK = new ThreadLocal<>();
}
