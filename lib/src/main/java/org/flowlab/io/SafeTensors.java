package org.flowlab.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header (name -> dtype, shape,
 * data_offsets; optional {@code __metadata__} of strings), then the raw little-endian data.
 */
public final class SafeTensors {
    private static final long MAX_HEADER = 100L << 20;

    /** A decoded file: tensors in file order (fp32 in memory) and the string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no tensor named '" + name + "'");
            }
            return t;
        }
    }

    private SafeTensors() {
    }

    public static Contents read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new SafeTensorsException(file, "no such file");
        }
        return decode(Files.readAllBytes(file), file);
    }

    /** Writes atomically; {@code dtype} F32 or F16. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, DType dtype)
            throws IOException {
        AtomicFiles.write(file, encode(tensors, metadata, dtype));
    }

    public static byte[] encode(Map<String, Tensor> tensors, Map<String, String> metadata, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new IllegalArgumentException("Flowlab writes F32 or F16, not " + dtype);
        }
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("'__metadata__' cannot name a tensor");
            }
            JsonObject t = new JsonObject();
            t.addProperty("dtype", dtype.name());
            JsonArray shape = new JsonArray();
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            long bytes = e.getValue().size() * dtype.bytes();
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
            offset += bytes;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded);
        buf.put(json);
        for (int i = json.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        for (Tensor t : tensors.values()) {
            for (float v : t.data()) {
                if (dtype == DType.F32) {
                    buf.putFloat(v);
                } else {
                    buf.putShort(Half.fromFloat(v));
                }
            }
        }
        return buf.array();
    }

    public static Contents decode(byte[] bytes, Path file) {
        if (bytes.length < 8) {
            throw new SafeTensorsException(file, "only " + bytes.length + " bytes; a safetensors file starts with an 8-byte header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > bytes.length - 8) {
            throw new SafeTensorsException(file, "header length " + headerLength + " does not fit a file of " + bytes.length
                    + " bytes (truncated or not safetensors)");
        }
        JsonObject header;
        try {
            JsonElement parsed = JsonParser.parseString(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
            header = parsed.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new SafeTensorsException(file, "the header is not a JSON object (" + e.getMessage() + ")");
        }
        long dataStart = 8 + headerLength;
        long dataLength = bytes.length - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            String name = e.getKey();
            try {
                if (name.equals("__metadata__")) {
                    e.getValue().getAsJsonObject().entrySet().forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                    continue;
                }
                tensors.put(name, readTensor(name, e.getValue().getAsJsonObject(), buf, dataStart, dataLength, file));
            } catch (IllegalStateException | UnsupportedOperationException | NullPointerException
                     | ClassCastException | NumberFormatException ex) {
                throw new SafeTensorsException(file, "entry '" + name + "' is malformed (" + ex.getMessage() + ")");
            }
        }
        return new Contents(tensors, metadata);
    }

    private static Tensor readTensor(String name, JsonObject o, ByteBuffer buf, long dataStart, long dataLength, Path file) {
        SafeTensorsFile.Entry e = SafeTensorsFile.entry(name, o, dataLength, file); // the header checks, shared
        DType dtype = e.dtype();
        long[] shape = e.shape();
        long count = e.count();
        long begin = e.begin();
        float[] data = new float[Math.toIntExact(count)];
        int pos = Math.toIntExact(dataStart + begin);
        for (int i = 0; i < data.length; i++) {
            data[i] = switch (dtype) {
                case F32 -> buf.getFloat(pos + 4 * i);
                case F16 -> Half.toFloat(buf.getShort(pos + 2 * i));
                case BF16 -> Half.bf16ToFloat(buf.getShort(pos + 2 * i));
                case I64 -> (float) buf.getLong(pos + 8 * i);
            };
        }
        return new Tensor(shape, data);
    }

    /** SHA-256 of the tensors' names, shapes and fp32 values, in order: what checkpoints store to verify on load. */
    public static String checksum(Map<String, Tensor> tensors) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                for (long d : e.getValue().shape()) {
                    md.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(d).array());
                }
                for (float v : e.getValue().data()) {
                    if (buf.remaining() < 4) {
                        md.update(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                    buf.putFloat(v);
                }
                md.update(buf.array(), 0, buf.position());
                buf.clear();
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
