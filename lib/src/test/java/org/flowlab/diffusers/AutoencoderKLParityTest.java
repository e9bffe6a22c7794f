package org.flowlab.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.flowlab.io.SafeTensors;
import org.flowlab.model.Engines;
import org.flowlab.model.NoGrad;
import org.junit.jupiter.api.Test;

/** AutoencoderKL against diffusers on the two tiny VAEs: encode (mean, logvar), decode, reconstruction; 1e-4. */
class AutoencoderKLParityTest {
    static final Path ROOT = Path.of("src/test/resources/diffusers-parity");

    static double max(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void bothVaesMatchDiffusers() throws IOException {
        Engines.prepareThread();
        for (String fixture : new String[] {"vae_kl_4ch", "vae_kl_16ch"}) {
            Path dir = ROOT.resolve(fixture);
            SafeTensors.Contents in = SafeTensors.read(dir.resolve("inputs.safetensors"));
            SafeTensors.Contents out = SafeTensors.read(dir.resolve("outputs.safetensors"));
            for (String set : new String[] {"set0", "set1"}) {
                long[] shape = in.tensor(set + ".sample").shape();
                try (AutoencoderKL vae = AutoencoderKL.load(dir, null, ParityDevice.get(), (int) shape[2], (int) shape[3]);
                     NDManager m = NDManager.newBaseManager(ParityDevice.get()); NoGrad ng = NoGrad.enter()) {
                    NDArray pixels = in.tensor(set + ".sample").toNDArray(m);
                    NDArray[] dist = vae.latentDistribution(pixels);
                    double mean = max(dist[0], out.tensor(set + ".latent_dist.mean").toNDArray(m));
                    double logvar = max(dist[1], out.tensor(set + ".latent_dist.logvar").toNDArray(m));
                    double decoded = max(vae.decodeRaw(in.tensor(set + ".latents").toNDArray(m)),
                            out.tensor(set + ".decoded").toNDArray(m));
                    double recon = max(vae.decodeRaw(dist[0]), out.tensor(set + ".reconstruction").toNDArray(m));
                    System.out.printf(java.util.Locale.ROOT, "%s %s: mean %.2g logvar %.2g decoded %.2g reconstruction %.2g%n",
                            fixture, set, mean, logvar, decoded, recon);
                    assertTrue(mean < 1e-4 && logvar < 1e-4 && decoded < 1e-4 && recon < 1e-4,
                            fixture + " " + set + ": " + mean + " " + logvar + " " + decoded + " " + recon);
                    assertArrayEquals(new long[] {shape[1], shape[2], shape[3]}, vae.pixelShape());
                    assertEquals(dist[0].getShape().get(1), vae.latentShape()[0]);
                    // as a codec: scaled and shifted latents, and back
                    NDArray z = vae.encode(pixels);
                    NDArray expected = dist[0].sub((float) vae.shiftFactor()).mul((float) vae.scalingFactor());
                    assertTrue(max(z, expected) < 1e-6);
                    assertTrue(max(vae.decode(z), vae.decodeRaw(dist[0])) < 1e-4);
                }
            }
        }
    }

    @Test
    void anImageOfTheWrongSizeIsNamed() throws IOException {
        Engines.prepareThread();
        try (AutoencoderKL vae = AutoencoderKL.load(ROOT.resolve("vae_kl_16ch"), null, ParityDevice.get(), 16, 24)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> vae.requireImage(new long[] {3, 32, 32}));
            assertTrue(e.getMessage().contains("3x32x32") && e.getMessage().contains("3x16x24"), e.getMessage());
        }
    }
}
