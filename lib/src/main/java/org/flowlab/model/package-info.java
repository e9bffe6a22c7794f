/**
 * The interfaces every method, sampler, cache, evaluation, CLI command and notebook uses, and nothing concrete:
 * <ul>
 *   <li>{@link org.flowlab.model.FlowModel}: the network LoRA touches, velocity of latents at sigma under a
 *       {@link org.flowlab.model.Conditioning}; its latent shape, guidance input and dtype;</li>
 *   <li>{@link org.flowlab.model.Conditioning}: what a text encoder made, opaque to methods (batch size, join, select
 *       rows, guidance);</li>
 *   <li>{@link org.flowlab.model.TextEncoder}: prompts to conditioning, once per prompt batch, never inside velocity;</li>
 *   <li>{@link org.flowlab.model.LatentCodec}: pixels to latents and back (identity for a pixel model);</li>
 *   <li>{@link org.flowlab.model.DiffusionModel}: the bundle, with its schedule family and defaults.</li>
 * </ul>
 * The building blocks they share live here too: named parameters, {@link org.flowlab.model.LinearLayer} with its LoRA
 * hook (names are diffusers' state_dict names), seeded initialisation, the DJL engine and per-thread grad mode.
 * Dimension legend used in shape comments: B batch, C channels, H/W height/width, p patch, T image tokens,
 * L text tokens, D model width, E text width, N heads, Dh head width.
 */
package org.flowlab.model;
