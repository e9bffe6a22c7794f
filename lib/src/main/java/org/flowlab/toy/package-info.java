/**
 * The toy world behind the interfaces of {@link org.flowlab.model}: procedural captioned shapes and their caption
 * grammar, the tokenizer, {@link org.flowlab.toy.ToyTextEncoder} and {@link org.flowlab.toy.ToyDiT} (diffusers'
 * module names), {@link org.flowlab.toy.ToyModel} that bundles them on pixels, the shipped teacher and its recipe,
 * the attribute classifier and the metrics it gives ({@link org.flowlab.toy.ToyMetrics}). Nothing outside this
 * package depends on it but the CLI, notebooks and tests.
 */
package org.flowlab.toy;
