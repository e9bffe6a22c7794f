/**
 * Demo jobs with exact answers, pure Java: a 2-D Gaussian mixture whose flow-matching velocity is known in closed
 * form, and an Euler sampler sweeping step counts over it. They exercise the progress, interruption and live
 * display machinery before the real trainers exist, and they make a good first picture of why few-step
 * samplers need Glance or SCFM.
 */
package org.flowlab.demo;
