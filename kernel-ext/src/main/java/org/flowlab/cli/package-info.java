/**
 * The {@code flowlab} command line (picocli): thin commands over the same lib objects the notebooks use.
 * Bad input ends with exit code 2 and one line that names the value; nothing prints a stack trace unless
 * {@code FLOWLAB_DEBUG} is set (and not 0).
 */
package org.flowlab.cli;
