/**
 * How long loops (training, sampling, pre-generation) talk to whoever watches them: one listener interface,
 * one event record, and the interruption check every loop makes between steps. A notebook's live display, the
 * CLI's progress line and a test's recorder all implement {@link org.flowlab.progress.ProgressListener}.
 */
package org.flowlab.progress;
