/**
 * Real models from diffusers checkpoint folders, computed as diffusers computes them: {@link
 * org.flowlab.diffusers.ModelFolder} reads {@code config.json} and the weights (one file, shards with an index,
 * variants; F32/F16/BF16, one tensor at a time from memory-mapped files), {@link
 * org.flowlab.diffusers.FluxTransformer2DModel} is Flux's transformer as a {@link org.flowlab.model.FlowModel},
 * built from the small functions of {@code Blocks}. Every Linear carries its diffusers state_dict name, so LoRA
 * targets, files and errors use the names a researcher knows. Checked against diffusers' own outputs on tiny random
 * fixtures (src/test/resources/diffusers-parity).
 */
package org.flowlab.diffusers;
