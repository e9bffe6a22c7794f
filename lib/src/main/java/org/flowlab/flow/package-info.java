/**
 * Flow-matching arithmetic and sampling over any {@link org.flowlab.model.FlowModel}: noising, the velocity target,
 * seeded noise, classifier-free guidance (once, in {@link org.flowlab.flow.Guidance}), Euler sampling plans with an
 * adapter per step (Glance's phases), and {@link org.flowlab.flow.Pipeline}: prompts and seeds to pixels through a
 * {@link org.flowlab.model.DiffusionModel}, with the LoRA scale and adapters scoped to the calling thread.
 */
package org.flowlab.flow;
