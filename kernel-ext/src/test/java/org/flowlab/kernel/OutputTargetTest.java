package org.flowlab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OutputTargetTest {

    @Test
    void aCharacterSplitAcrossWritesArrivesWhole() {
        RecordingOutput out = new RecordingOutput();
        OutputTarget t = new OutputTarget(out, "In[1]");
        byte[] bytes = "σ=0.5 ✓\n".getBytes(StandardCharsets.UTF_8);
        t.write(false, bytes, 0, 1); // half of the sigma
        t.flush();
        t.write(false, bytes, 1, bytes.length - 1);
        t.flush();
        assertEquals("σ=0.5 ✓\n", out.stream("stdout"));
    }

    @Test
    void stdoutIsSentBeforeStderrAndBeforeADisplay() {
        RecordingOutput out = new RecordingOutput();
        OutputTarget t = new OutputTarget(out, "In[1]");
        t.write(true, "err\n".getBytes(StandardCharsets.UTF_8), 0, 4);
        t.write(false, "out\n".getBytes(StandardCharsets.UTF_8), 0, 4);
        t.display(new org.dflib.jjava.jupyter.kernel.display.DisplayData("picture"));
        assertEquals(java.util.List.of("stdout", "stderr", "display"),
                out.events().stream().map(RecordingOutput.Event::kind).toList());
    }
}
