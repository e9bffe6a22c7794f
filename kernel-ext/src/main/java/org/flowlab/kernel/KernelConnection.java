package org.flowlab.kernel;

import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.messages.HMACGenerator;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.publish.PublishStatus;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.zeromq.ZMQ;

/**
 * The base library's connection (heartbeat, IOPub, stdin, handler table) with Flowlab's guarded shell and control
 * channels in place of its own (see {@link GuardedShellChannel}). The base's two shell sockets are created by its
 * constructor but never bound.
 */
final class KernelConnection extends JupyterConnection {
    private static final Logger LOG = Logger.getLogger(KernelConnection.class.getName());

    private final KernelConnectionProperties props;
    private final ZMQ.Context ownContext = ZMQ.context(1);
    private final GuardedShellChannel guardedShell;
    private final GuardedShellChannel guardedControl;

    KernelConnection(KernelConnectionProperties props, BooleanSupplier abortRequested, Runnable onShutdown)
            throws NoSuchAlgorithmException, InvalidKeyException {
        super(props);
        this.props = props;
        HMACGenerator hmac = props.createHMACGenerator();
        this.guardedShell = new GuardedShellChannel(ownContext, hmac, false, this, abortRequested, onShutdown);
        this.guardedControl = new GuardedShellChannel(ownContext, hmac, true, this, () -> false, onShutdown);
        iopub.setLinger(1000);
        stdin.setLinger(1000);
        heartbeat.setLinger(0);
    }

    @Override
    public void connect() {
        heartbeat.bind(props);
        iopub.bind(props);
        stdin.bind(props);
        guardedControl.bind(props);
        guardedShell.bind(props);
        getIOPub().sendMessage(new Message<>(null, PublishStatus.MESSAGE_TYPE, PublishStatus.STARTING));
    }

    @Override
    public void close() {
        for (GuardedShellChannel c : new GuardedShellChannel[] {guardedShell, guardedControl}) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "closing a channel", e);
            }
        }
        try {
            super.close();
        } finally {
            ownContext.close();
        }
    }

    @Override
    public void waitUntilClose() {
        guardedShell.waitUntilClose();
        guardedControl.waitUntilClose();
    }
}
