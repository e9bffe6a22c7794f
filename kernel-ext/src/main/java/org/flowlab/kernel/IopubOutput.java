package org.flowlab.kernel;

import java.util.List;
import org.dflib.jjava.jupyter.channels.JupyterSocket;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.messages.ContentType;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.MessageContext;
import org.dflib.jjava.jupyter.messages.publish.PublishClearOutput;
import org.dflib.jjava.jupyter.messages.publish.PublishDisplayData;
import org.dflib.jjava.jupyter.messages.publish.PublishError;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteResult;
import org.dflib.jjava.jupyter.messages.publish.PublishStream;
import org.dflib.jjava.jupyter.messages.publish.PublishUpdateDisplayData;

/**
 * A cell's outputs as IOPub messages whose parent is the cell's execute request, so frontends file them under
 * that cell even when a background thread sends them after the cell finished. The socket serialises senders.
 */
final class IopubOutput implements CellOutput {
    private final JupyterSocket iopub;
    private final MessageContext parent;
    private final boolean silent;

    /** @param silent an execute request with {@code silent: true}: no execute_result is published */
    IopubOutput(JupyterSocket iopub, MessageContext parent, boolean silent) {
        this.iopub = iopub;
        this.parent = parent;
        this.silent = silent;
    }

    private <T extends ContentType<T>> void publish(T content) {
        iopub.sendMessage(new Message<>(parent, content.getType(), content));
    }

    @Override
    public void stream(String name, String text) {
        publish(new PublishStream("stderr".equals(name) ? PublishStream.StreamType.ERR : PublishStream.StreamType.OUT,
                text));
    }

    @Override
    public void display(DisplayData data) {
        publish(new PublishDisplayData(data));
    }

    @Override
    public void updateDisplay(DisplayData data) {
        publish(new PublishUpdateDisplayData(data));
    }

    @Override
    public void clearOutput(boolean wait) {
        publish(wait ? PublishClearOutput.BEFORE_NEXT_OUTPUT : PublishClearOutput.NOW);
    }

    @Override
    public void executeResult(int count, DisplayData data) {
        if (!silent) {
            publish(new PublishExecuteResult(count, data));
        }
    }

    @Override
    public void error(String ename, String evalue, List<String> traceback) {
        publish(new PublishError(ename, evalue, traceback));
    }
}
