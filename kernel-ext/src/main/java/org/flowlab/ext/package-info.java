/**
 * The Flowlab extension the kernel loads as an {@code org.dflib.jjava.jupyter.Extension} service: the imports
 * every cell has ({@link org.flowlab.ext.FlowlabImports}, one list), a renderer per lib type that lib's
 * {@code viz} can draw (lib makes the MIME bundle, this hands it to Jupyter), the magics {@code %flowlab} and
 * {@code %seed}, and the live display API: {@link org.flowlab.ext.LiveDisplay} (a {@code ProgressListener} that
 * updates one output in place) and {@link org.flowlab.ext.Job} (a background computation with its display).
 * Extension points for other libraries: {@link org.flowlab.ext.Seeds#onChange},
 * {@link org.flowlab.ext.FlowlabInfo#addSection}, {@code org.flowlab.kernel.ExecutionThreads#register}.
 */
package org.flowlab.ext;
