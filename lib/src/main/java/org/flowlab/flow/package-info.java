/**
 * Flow-matching arithmetic and Euler sampling over any {@link org.flowlab.nn.VelocityModel}: noising, the velocity
 * target, seeded noise, single- and multi-phase pipelines (an adapter per phase, the latent handed on unchanged),
 * classifier-free guidance, and a per-step trace.
 */
package org.flowlab.flow;
