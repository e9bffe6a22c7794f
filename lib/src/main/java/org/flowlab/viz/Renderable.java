package org.flowlab.viz;

/**
 * A value that knows how it looks: a plot, a grid, a chart. The kernel shows the bundle when the value is the last
 * expression of a cell or passed to {@code display(...)}; the CLI writes its PNG to a file.
 */
@FunctionalInterface
public interface Renderable {

    MimeBundle bundle();
}
