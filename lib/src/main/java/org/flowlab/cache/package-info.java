/**
 * Content-addressed caches on disk, reused across runs: a text encoder's conditioning per prompt
 * ({@link org.flowlab.cache.PromptCache}, in a folder named by the encoder's fingerprint) and a codec's latents per
 * image and resolution bucket ({@link org.flowlab.cache.LatentCache}). Files are written whole (temp, rename); a
 * damaged or foreign file reads as a miss and is written again. Methods take a cache as a
 * {@link org.flowlab.model.PromptEncoder}, so a run whose caches hold everything never loads a text encoder.
 */
package org.flowlab.cache;
