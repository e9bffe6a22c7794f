package org.flowlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    static Map<String, Tensor> sample() {
        SplittableRandom rng = new SplittableRandom(3);
        float[] a = new float[24];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rng.nextGaussian();
        }
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("blocks.0.w", new Tensor(new long[] {2, 3, 4}, a));
        m.put("scalar", new Tensor(new long[] {}, new float[] {7.5f}));
        m.put("empty", new Tensor(new long[] {0, 3}, new float[0]));
        return m;
    }

    @Test
    void f32RoundTripIsExactWithMetadata() throws IOException {
        Path f = dir.resolve("a.safetensors");
        SafeTensors.write(f, sample(), Map.of("note", "hello", "n", "3"), DType.F32);
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(sample(), c.tensors());
        assertEquals(List.of("blocks.0.w", "scalar", "empty"), List.copyOf(c.tensors().keySet()));
        assertEquals("hello", c.metadata().get("note"));
        // the header is 8-byte aligned and names dtype and offsets as the format says
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong();
        assertEquals(0, n % 8);
        var header = JsonParser.parseString(new String(Files.readAllBytes(f), 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("F32", header.getAsJsonObject("scalar").get("dtype").getAsString());
        assertEquals("[96,100]", header.getAsJsonObject("scalar").get("data_offsets").toString());
    }

    @Test
    void f16RoundTripWithinHalfPrecision() throws IOException {
        Path f = dir.resolve("h.safetensors");
        SafeTensors.write(f, sample(), Map.of(), DType.F16);
        Path f32 = dir.resolve("f.safetensors");
        SafeTensors.write(f32, sample(), Map.of(), DType.F32);
        assertEquals(2 * 25, (Files.size(f32) - Files.size(f)), 8, "25 values at 2 bytes each instead of 4");
        Tensor back = SafeTensors.read(f).tensor("blocks.0.w");
        float[] orig = sample().get("blocks.0.w").data();
        for (int i = 0; i < orig.length; i++) {
            assertEquals(orig[i], back.data()[i], Math.abs(orig[i]) * 1e-3 + 1e-7, "index " + i);
        }
    }

    @Test
    void halfConversionEdgeCases() {
        float[] exact = {0f, -0f, 1f, -2f, 65504f, 0.5f, 6.1035156e-5f, 5.9604645e-8f, 1.0009765625f};
        for (float v : exact) {
            assertEquals(v, Half.toFloat(Half.fromFloat(v)), 0f, "exactly representable " + v);
        }
        assertEquals(Float.POSITIVE_INFINITY, Half.toFloat(Half.fromFloat(1e6f)));
        assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN))));
        // ties go to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10
        assertEquals(1f, Half.toFloat(Half.fromFloat(1f + 0x1p-11f)), 0f);
        assertEquals(0x3c00, Half.fromFloat(1f) & 0xffff);
    }

    /** A BF16 file built byte by byte: bfloat16 is the top half of a float32. */
    @Test
    void readsBf16AsFloat32() throws IOException {
        float[] values = {1f, -2.5f, 3.140625f, 0f, 1e-3f, -65536f};
        String header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},\"__metadata__\":{\"k\":\"v\"}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 12).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (float v : values) {
            buf.putShort((short) (Float.floatToIntBits(v) >>> 16));
        }
        Path f = dir.resolve("bf16.safetensors");
        Files.write(f, buf.array());
        Tensor t = SafeTensors.read(f).tensor("w");
        assertArrayEquals(new long[] {2, 3}, t.shape());
        for (int i = 0; i < values.length; i++) {
            float truncated = Float.intBitsToFloat(Float.floatToIntBits(values[i]) & 0xffff0000);
            assertEquals(truncated, t.data()[i], 0f);
        }
        assertEquals(1f, t.data()[0], 0f);
        assertEquals(-2.5f, t.data()[1], 0f);
    }

    @Test
    void brokenFilesGiveErrorsThatNameTheFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, sample(), Map.of(), DType.F32);
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 10));
        assertProblem(truncated, "truncated");

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertProblem(tiny, "only 3 bytes");

        Path hugeHeader = dir.resolve("huge.safetensors");
        byte[] hh = bytes.clone();
        ByteBuffer.wrap(hh).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(hugeHeader, hh);
        assertProblem(hugeHeader, "header length");

        Path garbage = dir.resolve("garbage.safetensors");
        byte[] gb = bytes.clone();
        gb[8] = '[';
        gb[9] = '!';
        Files.write(garbage, gb);
        assertProblem(garbage, "not a JSON object");

        Path badDtype = dir.resolve("f64.safetensors");
        String header = "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        ByteBuffer b = ByteBuffer.allocate(8 + header.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length()).put(header.getBytes(StandardCharsets.UTF_8)).putDouble(5);
        Files.write(badDtype, b.array());
        assertProblem(badDtype, "dtype F64");

        // token ids are I64: read exactly
        Path ids = dir.resolve("i64.safetensors");
        String h3 = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        ByteBuffer b3 = ByteBuffer.allocate(8 + h3.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
        b3.putLong(h3.length()).put(h3.getBytes(StandardCharsets.UTF_8)).putLong(49407);
        Files.write(ids, b3.array());
        org.junit.jupiter.api.Assertions.assertEquals(49407f, SafeTensors.read(ids).tensor("ids").data()[0], 0f);

        Path wrongSize = dir.resolve("size.safetensors");
        String h2 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        ByteBuffer b2 = ByteBuffer.allocate(8 + h2.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
        b2.putLong(h2.length()).put(h2.getBytes(StandardCharsets.UTF_8)).putLong(0);
        Files.write(wrongSize, b2.array());
        assertProblem(wrongSize, "needs 12");

        assertProblem(dir.resolve("missing.safetensors"), "no such file");
    }

    static void assertProblem(Path f, String fragment) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage() + " lacks " + fragment);
    }

    @Test
    void checkpointVerifiesItsChecksumAndSurvivesACrashMidWrite() throws IOException {
        Path ckpt = dir.resolve("ckpt.safetensors");
        Checkpoint.save(ckpt, sample(), Map.of("step", "10"));
        assertEquals("10", Checkpoint.load(ckpt).metadata().get("step"));

        // a writer that dies halfway (as a killed process would): the previous checkpoint is untouched
        Map<String, Tensor> newer = new LinkedHashMap<>(sample());
        newer.put("extra", new Tensor(new long[] {1}, new float[] {1}));
        IOException crash = assertThrows(IOException.class, () -> AtomicFiles.write(ckpt, out -> {
            out.write(SafeTensors.encode(newer, Map.of(), DType.F32), 0, 40);
            throw new IOException("simulated crash");
        }));
        assertEquals("simulated crash", crash.getMessage());
        assertEquals(sample(), Checkpoint.load(ckpt).tensors());
        assertEquals(List.of(), Checkpoint.leftovers(dir), "no temp file is left behind");

        // a temp file a SIGKILL left behind is ignored by readers and reported as a leftover
        Files.write(dir.resolve(".ckpt.safetensors" + AtomicFiles.TEMP_MARKER + "123"), new byte[] {1, 2});
        assertEquals(1, Checkpoint.leftovers(dir).size());
        assertEquals(sample(), Checkpoint.load(ckpt).tensors());

        // flipped data bytes: the checksum catches what the format cannot
        byte[] bytes = Files.readAllBytes(ckpt);
        bytes[bytes.length - 5] ^= 0x55;
        Path corrupted = dir.resolve("corrupted.safetensors");
        Files.write(corrupted, bytes);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> Checkpoint.load(corrupted));
        assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("corrupted.safetensors"));

        Map<String, long[]> expected = new LinkedHashMap<>();
        expected.put("blocks.0.w", new long[] {2, 3, 5});
        expected.put("other", new long[] {1});
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.requireShapes(ckpt, Checkpoint.load(ckpt), expected));
        assertTrue(mismatch.getMessage().contains("blocks.0.w has shape [2, 3, 4], expected [2, 3, 5]"), mismatch.getMessage());
        assertTrue(mismatch.getMessage().contains("missing other") && mismatch.getMessage().contains("unexpected scalar"));
    }
}
