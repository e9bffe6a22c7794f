/**
 * SCFM (SPEC-scfm.md): distil a pre-trained flow model into a 3-8 step sampler with one LoRA and no step-size input.
 * The teacher first generates a cache of endpoint latents; each training step then draws, per sample, a grid, a
 * segment and a guide (the frozen teacher or the fast EMA of the student), takes two jumps (the second always with
 * the slow EMA), and regresses the student onto the segment's average velocity, all as tensor math on the model's
 * device. Read {@link org.flowlab.scfm.Scfm} next to the paper; {@link org.flowlab.scfm.StepTrace} takes one step
 * apart.
 */
package org.flowlab.scfm;
