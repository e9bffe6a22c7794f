/**
 * Exponential moving averages of an adapter's weights ({@code ema = d*ema + (1-d)*theta}, after each optimizer
 * step), started at zero (= the base model, as SCFM does) or at the student, restartable, and comparable: norms
 * and distances between the student and its EMAs for display.
 */
package org.flowlab.ema;
