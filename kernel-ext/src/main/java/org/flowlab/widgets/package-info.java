/**
 * Jupyter widgets spoken by the Java kernel: the {@code jupyter.widget} comm protocol (version 2.1) with the
 * {@code @jupyter-widgets/controls} models, so a notebook shows live sliders and buttons bound both ways to Java
 * values. {@link org.flowlab.widgets.Widget} holds a model's state, {@link org.flowlab.widgets.WidgetChannel} carries
 * it to the front end (the kernel's comm manager), {@link org.flowlab.widgets.Widgets} displays a widget and keeps
 * bound values and sliders in step. Without a front end that speaks comms (headless runs) a widget shows as text.
 */
package org.flowlab.widgets;
