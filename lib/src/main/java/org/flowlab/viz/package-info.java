/**
 * Pictures as plain Java: schedule plots, image grids, line charts, tables and live progress views, each turned
 * into a {@link org.flowlab.viz.MimeBundle} (text/plain always, PNG and HTML where a picture is meant). No Jupyter
 * types: the kernel extension hands bundles to the notebook, the CLI writes their PNGs to files. Drawing is
 * off-screen; every JVM Flowlab starts sets {@code java.awt.headless=true}. No output needs a script or the network.
 */
package org.flowlab.viz;
