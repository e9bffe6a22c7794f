/**
 * The Flowlab Java kernel: Jupyter's protocol from {@code jjava-jupyter} (the IJava family's base library) with
 * Flowlab's own JShell evaluator, which runs cells in the kernel JVM so a cell's last expression reaches the
 * renderers as the live object.
 *
 * <p>Fixed or added on top of the base library: a message with a bad signature or unreadable JSON is dropped and
 * logged instead of ending the shell loop ({@link org.flowlab.kernel.GuardedShellChannel}); {@code silent},
 * {@code store_history} and {@code stop_on_error} are honoured ({@link org.flowlab.kernel.FlowlabKernel});
 * stdout/stderr are routed per cell from any thread, so background output is never lost
 * ({@link org.flowlab.kernel.OutputRouter}); kernel_info and history replies carry {@code status}.
 *
 * <p>Interrupt ({@code interrupt_mode: message}) first interrupts the execution thread (stops
 * {@code Thread.sleep}/{@code wait} and library loops at their {@code Interruption.check}), then, 500 ms later,
 * stops a tight loop in cell code: on JDK 17-19 with {@code Thread.stop}; on JDK 20 and later with the stop checks
 * JShell compiles into every snippet class (JDK-8289613, JDK 20: before each branch, so loops stop; JDK 25 adds
 * one at each method entry, JDK-8355323, so deep recursion without loops stops too). JDK 21 therefore behaves like
 * 25 for loops; it was not available on the test machine, so that is read from the JDK sources, not tested. Code
 * blocked inside a library call that never checks (a long native call) stops only when it returns to cell code.
 *
 * <p>Every thread the kernel runs user work on runs the {@link org.flowlab.kernel.ExecutionThreads} initializers
 * first (DJL's per-thread grad mode goes there).
 */
package org.flowlab.kernel;
