package org.flowlab.kernel;

import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * Where one cell's outputs go: the notebook (IOPub messages under the cell's request) or, for
 * {@code flowlab run}, the outputs list of the cell in the .ipynb file. Implementations are called from any
 * thread, also after the cell has finished (background jobs).
 */
public interface CellOutput {

    /** {@code name} is {@code stdout} or {@code stderr}. */
    void stream(String name, String text);

    void display(DisplayData data);

    /** Replaces every earlier output with the same display id, wherever it is. */
    void updateDisplay(DisplayData data);

    void clearOutput(boolean wait);

    void executeResult(int count, DisplayData data);

    void error(String ename, String evalue, List<String> traceback);
}
