/**
 * LoRA: low-rank adapters injected into a component's named Linears, chosen by name pattern as in diffusers/PEFT.
 *
 * <p>A Linear with LoRA computes {@code y = x W^T + b + s (alpha/r) (x A^T) B^T}, A (r, in) gaussian, B (out, r)
 * zero, so a fresh adapter reproduces the base exactly. One {@link org.flowlab.lora.Lora} per component (the
 * transformer; the text encoder only when asked) holds the adapters (Glance: slow and fast; SCFM: one student),
 * which one is active, the model-wide scale, and per-thread scopes that pick an adapter, a scale or other A/B
 * arrays (the zero set = the base teacher, an EMA) without copying anything and without touching other threads.
 */
package org.flowlab.lora;
