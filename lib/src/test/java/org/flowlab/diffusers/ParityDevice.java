package org.flowlab.diffusers;

import ai.djl.Device;
import org.flowlab.model.Engines;

/**
 * Where the parity tests run: the CPU, or the device named by {@code -Dflowlab.test.device=cuda} (tests/device_check.sh
 * runs the same tests on a GPU that way).
 */
final class ParityDevice {
    private ParityDevice() {
    }

    static Device get() {
        return Engines.device(System.getProperty("flowlab.test.device", "cpu"));
    }
}
