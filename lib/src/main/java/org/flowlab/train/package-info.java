/**
 * Training: {@link org.flowlab.train.TrainingLoop}, the one loop teacher pre-training, Glance and SCFM run (progress,
 * interruption between steps, a NaN guard that stops before anything is applied, atomic checkpoints);
 * {@link org.flowlab.train.BackgroundRun}, the one way to run such a loop on its own thread (pause, resume, stop,
 * await); plain flow matching; AdamW (hand-written so its moments go into checkpoints), global-norm clipping,
 * warm-up with constant or cosine learning rate; seeded per-step randomness, so a resumed run draws exactly what an
 * uninterrupted one would.
 */
package org.flowlab.train;
