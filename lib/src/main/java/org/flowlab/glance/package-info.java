/**
 * Glance (SPEC-glance.md): a slow LoRA trained only at the early timesteps and a fast LoRA only at the late ones,
 * each from ONE image in ~60 steps, then 10-step two-phase Euler inference with the latent handed from phase 1 to
 * phase 2 unchanged. Read {@link org.flowlab.glance.Glance} next to the paper; {@link org.flowlab.glance.GlanceRun}
 * is the run on disk that the CLI writes and notebooks open.
 */
package org.flowlab.glance;
