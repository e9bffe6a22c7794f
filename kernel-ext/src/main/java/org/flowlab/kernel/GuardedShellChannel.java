package org.flowlab.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.channels.ShellChannel;
import org.dflib.jjava.jupyter.channels.ShellHandler;
import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.messages.HMACGenerator;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.MessageType;
import org.dflib.jjava.jupyter.messages.reply.ExecuteReply;
import org.zeromq.ZMQ;

/**
 * The shell or control channel with its own receive loop, replacing the base library's, which
 * <ul>
 *   <li>reads outside its try/catch, so one message with a bad signature ({@code SecurityException}) or malformed
 *       JSON ends the loop and the kernel goes deaf: here such a message is dropped and logged, never executed;</li>
 *   <li>polls without blocking and sleeps between polls, adding up to 50 ms to every request: here the poll
 *       blocks until a message arrives (or {@link #POLL_MS} passes, to notice shutdown);</li>
 *   <li>knows no stop_on_error: here, after a failed cell asks for it, the execute requests already queued are
 *       answered {@code aborted} (as IPython does) and other requests are handled normally.</li>
 * </ul>
 * All socket use happens on the loop thread (ZeroMQ sockets are not thread-safe), except replies, which the
 * handlers send from this same thread.
 */
final class GuardedShellChannel extends ShellChannel {
    private static final Logger LOG = Logger.getLogger(GuardedShellChannel.class.getName());
    static final int POLL_MS = 100;

    private final boolean control;
    private final JupyterConnection connection;
    private final BooleanSupplier abortRequested;
    private final Runnable onShutdown;
    private volatile boolean running;
    private Thread loop;

    GuardedShellChannel(ZMQ.Context ctx, HMACGenerator hmac, boolean control, JupyterConnection connection,
                        BooleanSupplier abortRequested, Runnable onShutdown) {
        super(ctx, hmac, control, connection);
        this.control = control;
        this.connection = connection;
        this.abortRequested = abortRequested;
        this.onShutdown = onShutdown;
        setLinger(1000);
    }

    private String channelName() {
        return control ? "control" : "shell";
    }

    @Override
    public void bind(KernelConnectionProperties props) {
        String address = formatAddress(props.getTransport(), props.getIp(),
                control ? props.getControlPort() : props.getShellPort());
        if (!bind(address)) {
            throw new IllegalStateException("cannot bind the " + channelName() + " channel to " + address);
        }
        running = true;
        loop = new Thread(this::run, "flowlab-" + channelName());
        loop.setDaemon(true);
        loop.start();
    }

    private void run() {
        ZMQ.Poller poller = ctx.poller(1);
        poller.register(this, ZMQ.Poller.POLLIN);
        try {
            while (running) {
                if (poller.poll(POLL_MS) <= 0) {
                    continue;
                }
                Message<?> message = receive();
                if (message != null && !dispatch(message, poller)) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.log(Level.SEVERE, "the " + channelName() + " channel stopped", e);
            }
        } finally {
            poller.close();
        }
    }

    /** The next message, or null when it was dropped (bad signature, unreadable). */
    private Message<?> receive() {
        try {
            return readMessage();
        } catch (SecurityException e) {
            LOG.warning("dropped a message on the " + channelName() + " channel: " + e.getMessage()
                    + " (not executed; check that the client uses this kernel's connection key)");
        } catch (RuntimeException e) {
            LOG.warning("dropped an unreadable message on the " + channelName() + " channel: " + e);
        }
        return null;
    }

    /** Handles one message; false when it asked the kernel to shut down. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private boolean dispatch(Message message, ZMQ.Poller poller) {
        MessageType type = message.getHeader().getType();
        ShellHandler handler = connection.getHandler(type);
        if (handler == null) {
            LOG.warning("no handler for " + type.getName() + " on the " + channelName() + " channel; ignored");
            return true;
        }
        ShellReplyEnvironment env = connection.prepareReplyEnv(this, message);
        List<Message<?>> queued = List.of();
        try {
            handler.handle(env, message);
            // stop_on_error: what was sent before this failed cell's reply goes out is what the user queued
            // behind it; the reply is still deferred here, so a request sent after it is not swept up
            if (abortRequested.getAsBoolean()) {
                queued = drain(poller);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "handling " + type.getName() + " failed", e);
        } finally {
            try {
                env.resolveDeferrals();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "replying to " + type.getName() + " failed", e);
            }
        }
        if (env.isMarkedForShutdown()) {
            running = false;
            onShutdown.run();
            return false;
        }
        for (Message<?> q : queued) {
            if (q.getHeader().getType() == MessageType.EXECUTE_REQUEST) {
                abort(q);
            } else if (!dispatch(q, poller)) {
                return false;
            }
        }
        return true;
    }

    /** Every message waiting on the socket now. */
    private List<Message<?>> drain(ZMQ.Poller poller) {
        List<Message<?>> out = new ArrayList<>();
        while (poller.poll(0) > 0) {
            Message<?> m = receive();
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    /** The reply IPython gives a request it skipped after an error: status "aborted", with busy and idle. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void abort(Message message) {
        ShellReplyEnvironment env = connection.prepareReplyEnv(this, message);
        env.setStatusBusy();
        env.reply(new Message(message, ExecuteReply.MESSAGE_TYPE, Map.of("status", "aborted")));
        env.setStatusIdle();
    }

    @Override
    public void close() {
        running = false;
        Thread t = loop;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(2 * POLL_MS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        super.close();
    }

    @Override
    public void waitUntilClose() {
        Thread t = loop;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
