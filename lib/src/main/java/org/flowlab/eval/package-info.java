/**
 * Methods and how they are measured, for any {@link org.flowlab.model.DiffusionModel}: a {@link org.flowlab.eval.Method}
 * turns prompts and seeds into pixels ({@link org.flowlab.eval.Methods}: the base at N steps, the SCFM student,
 * Glance's two phases); {@link org.flowlab.eval.Evaluation} measures fidelity (PSNR/MSE to the reference from the
 * same noise), latency and NFE, plus the model-specific {@link org.flowlab.eval.PromptMetrics} (the toy's adherence
 * and Frechet distance); {@link org.flowlab.eval.Comparison} puts methods x prompts x seeds in one grid and one
 * table; {@link org.flowlab.eval.SampleSet} keeps samples on disk.
 */
package org.flowlab.eval;
