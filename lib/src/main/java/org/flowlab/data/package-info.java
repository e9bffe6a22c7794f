/**
 * Data: the procedural captioned-shapes world (32x32 RGB, deterministic from index and seed, one caption grammar,
 * a fixed held-out set of colour-shape pairs), an image-folder dataset for a user's own pictures, and the images
 * themselves as plain float arrays in [-1, 1] (CHW).
 */
package org.flowlab.data;
