/**
 * Velocity networks on the DJL PyTorch engine: named parameters, named Linears (LoRA targets are chosen by these
 * names, as in diffusers), a tokenizer over a fixed vocabulary, and the toy text-conditioned DiT.
 *
 * <p>Everything outside this package reaches a model through {@link org.flowlab.nn.VelocityModel}: velocity of
 * {@code (x, sigma, conditioning)}, its named parameters and its named Linears, never the DiT's own classes.
 * Dimension legend used in shape comments: B batch, C channels, H/W height/width, p patch, T image tokens,
 * L text tokens, D model width, E text width, N heads, Dh head width.
 */
package org.flowlab.nn;
