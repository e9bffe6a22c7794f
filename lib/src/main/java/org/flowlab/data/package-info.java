/**
 * Data a researcher brings: an image folder in the SimpleTuner layout (image + same-name {@code .txt} caption),
 * cropped to resolution buckets, as pixels in [-1, 1] (CHW). The toy world's procedural data lives in
 * {@link org.flowlab.toy}.
 */
package org.flowlab.data;
