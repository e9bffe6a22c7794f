package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.flowlab.io.SafeTensors;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.junit.jupiter.api.Test;

/** T5EncoderModel against transformers on the tiny v1.1 fixture; and T5's relative-position buckets by hand. */
class T5ParityTest {
    static final Path DIR = Path.of("src/test/resources/diffusers-parity/t5_encoder_model");

    @Test
    void lastHiddenStateMatchesTransformers() throws IOException {
        Engines.prepareThread();
        SafeTensors.Contents in = SafeTensors.read(DIR.resolve("inputs.safetensors"));
        SafeTensors.Contents out = SafeTensors.read(DIR.resolve("outputs.safetensors"));
        try (T5EncoderModel t5 = T5EncoderModel.load(DIR, null, ParityDevice.get());
             NDManager m = NDManager.newBaseManager(ParityDevice.get()); NoGrad ng = NoGrad.enter()) {
            for (String set : new String[] {"set0", "set1"}) {
                double e = t5.forward(in.tensor(set + ".input_ids").toNDArray(m))
                        .sub(out.tensor(set + ".last_hidden_state").toNDArray(m)).abs().max().getFloat();
                System.out.printf(java.util.Locale.ROOT, "t5 %s: last_hidden_state max abs error %.2g%n", set, e);
                assertTrue(e < 1e-4, set + ": " + e);
            }
            // 32 buckets, max distance 128: exact below 8 per side, the key side (j > i) offset by 16, log above
            assertEquals(0, t5.bucket(0));
            assertEquals(7, t5.bucket(-7));
            assertEquals(16 + 7, t5.bucket(7));
            assertEquals(8, t5.bucket(-8));
            assertEquals(15, t5.bucket(-1000), "capped at the last bucket");
            assertEquals(16 + 15, t5.bucket(200));
        }
    }
}
