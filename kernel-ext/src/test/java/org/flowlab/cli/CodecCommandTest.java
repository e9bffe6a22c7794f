package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.flowlab.diffusers.AutoencoderKL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code codec train} as a smoke run: a few steps of a tiny VAE, written as a folder the VAE loader reads. */
class CodecCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesAVaeFolderAndRefusesBadChannels() throws Exception {
        Path out = tmp.resolve("vae");
        var r = PipelineSmokeTest.run("codec", "train", "--steps", "3", "--batch", "2", "--channels", "8,16,16",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("trained 3 steps"), r.err());
        assertEquals(4, Files.readAllLines(out.resolve("loss.csv")).size(), "a header and 3 steps");
        try (AutoencoderKL vae = AutoencoderKL.load(out, null, Device.cpu(), 64, 64)) {
            assertArrayEquals(new long[] {4, 16, 16}, vae.latentShape());
            assertTrue(vae.scalingFactor() > 0 && Double.isFinite(vae.shiftFactor()));
        }
        Path never = tmp.resolve("never");
        var bad = PipelineSmokeTest.run("codec", "train", "--channels", "8,12", "--out", never.toString());
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("12"), bad.err());
        assertFalse(Files.exists(never));
    }
}
