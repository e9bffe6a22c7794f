package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.flowlab.io.SafeTensors;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.junit.jupiter.api.Test;

/** CLIPTextModel (legacy argmax pooling) and CLIPTextModelWithProjection (eos pooling, projection) against transformers. */
class CLIPParityTest {
    static final Path ROOT = Path.of("src/test/resources/diffusers-parity");

    static double max(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void bothClipsMatchTransformers() throws IOException {
        Engines.prepareThread();
        for (String fixture : new String[] {"clip_text_model", "clip_text_model_with_projection"}) {
            Path dir = ROOT.resolve(fixture);
            SafeTensors.Contents in = SafeTensors.read(dir.resolve("inputs.safetensors"));
            SafeTensors.Contents out = SafeTensors.read(dir.resolve("outputs.safetensors"));
            try (CLIPTextModel clip = CLIPTextModel.load(dir, null, ParityDevice.get());
                 NDManager m = NDManager.newBaseManager(ParityDevice.get()); NoGrad ng = NoGrad.enter()) {
                for (String set : new String[] {"set0", "set1"}) {
                    CLIPTextModel.Output o = clip.forward(in.tensor(set + ".input_ids").toNDArray(m));
                    double last = max(o.lastHiddenState(), out.tensor(set + ".last_hidden_state").toNDArray(m));
                    double penultimate = max(o.hiddenStates().get(1), out.tensor(set + ".hidden_states.1").toNDArray(m));
                    double pooled = o.textEmbeds() != null
                            ? max(o.textEmbeds(), out.tensor(set + ".text_embeds").toNDArray(m))
                            : max(o.pooled(), out.tensor(set + ".pooler_output").toNDArray(m));
                    System.out.printf(java.util.Locale.ROOT, "%s %s: last %.2g hidden[1] %.2g pooled %.2g%n", fixture, set,
                            last, penultimate, pooled);
                    assertTrue(last < 1e-4 && penultimate < 1e-4 && pooled < 1e-4, fixture + " " + set);
                }
            }
        }
    }
}
