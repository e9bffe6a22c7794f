package org.flowlab.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Map;
import org.dflib.jjava.jupyter.kernel.comm.Comm;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.comm.CommCloseCommand;
import org.dflib.jjava.jupyter.messages.comm.CommMsgCommand;
import org.dflib.jjava.jupyter.messages.comm.CommOpenCommand;
import org.flowlab.widgets.Widget;
import org.flowlab.widgets.WidgetChannel;
import org.flowlab.widgets.Widgets;

/**
 * The kernel's comm manager, also the widgets' channel: a widget's comm_open carries its state and the protocol
 * version in the metadata (jjava's own {@code openComm} sends neither); messages from the front end reach the widget.
 */
final class WidgetComms extends CommManager implements WidgetChannel {

    @Override
    public void open(String id, Widget widget, JsonObject state) {
        JsonObject data = new JsonObject();
        data.add("state", state);
        data.add("buffer_paths", new JsonArray());
        Message<CommOpenCommand> message = new Message<>(context, CommOpenCommand.MESSAGE_TYPE,
                new CommOpenCommand(id, Widgets.TARGET, data), null, // null, not empty: jjava sends an empty
                Map.of("version", Widgets.PROTOCOL_VERSION));        // blob list as an unterminated multipart
        registerComm(new WidgetComm(this, id, widget));
        iopub.sendMessage(message);
    }

    @Override
    public void update(Widget widget, JsonObject state) {
        JsonObject data = new JsonObject();
        data.addProperty("method", "update");
        data.add("state", state);
        data.add("buffer_paths", new JsonArray());
        messageComm(widget.id(), data);
    }

    private static final class WidgetComm extends Comm {
        private final Widget widget;

        WidgetComm(CommManager manager, String id, Widget widget) {
            super(manager, id, Widgets.TARGET);
            this.widget = widget;
        }

        @Override
        protected void onMessage(Message<CommMsgCommand> message) {
            widget.receive(message.getContent().getData());
        }

        @Override
        protected void onClose(Message<CommCloseCommand> message, boolean sending) {
            Widgets.closed(widget);
        }
    }
}
