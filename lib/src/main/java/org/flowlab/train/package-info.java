/**
 * The plain flow-matching training loop that teacher pre-training and Glance reuse: AdamW (hand-written so its
 * moments go into checkpoints), global-norm clipping, warm-up with constant or cosine learning rate, seeded
 * per-step randomness (a resumed run draws exactly what an uninterrupted one would), checkpoints and resume.
 * A step is applied whole or not at all; interruption is checked between steps.
 */
package org.flowlab.train;
