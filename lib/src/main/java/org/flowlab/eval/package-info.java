/**
 * The papers' metrics at toy scale: an attribute classifier (the CLIP-score analogue: prompt adherence), Frechet
 * distance on its features (the FID analogue), teacher fidelity (PSNR/MSE to the 32-step teacher from the same
 * noise), latency and NFE, gathered into one Tablesaw table per evaluation.
 */
package org.flowlab.eval;
