/**
 * LoRA: low-rank adapters injected into a model's named Linears, chosen by name pattern as in diffusers/PEFT.
 *
 * <p>A Linear with LoRA computes {@code y = x W^T + b + s (alpha/r) (x A^T) B^T}, A (r, in) gaussian, B (out, r)
 * zero, so a fresh adapter reproduces the base exactly. One {@link org.flowlab.lora.Lora} per model holds the
 * adapters (Glance: slow and fast; SCFM: one student), which one is active, the runtime scale, and the weight-set
 * override that lets a forward pass run with other A/B arrays (the zero set = the base teacher, an EMA) without
 * copying anything.
 */
package org.flowlab.lora;
