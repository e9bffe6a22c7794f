package org.flowlab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors file opened for reading one tensor at a time: the header is parsed and checked at open (every
 * tensor's dtype, shape and byte range, so a truncated file is named before anything loads), and each tensor's bytes
 * are memory-mapped only while it is read and go straight into native memory. A multi-GB checkpoint shard is never
 * copied into the Java heap. BF16 is widened to F32 on the way (DJL holds no bfloat16).
 */
public final class SafeTensorsFile implements AutoCloseable {
    private static final long MAX_HEADER = 100L << 20;
    private static final int CHUNK = 1 << 20; // elements converted per pass when widening F16/BF16

    /** One tensor's place in the file. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long count() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
                            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    public static SafeTensorsFile open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new SafeTensorsException(file, "no such file");
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsException(file, "only " + size + " bytes; a safetensors file starts with an 8-byte"
                        + " header length");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long headerLength = len.flip().getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > size - 8) {
                throw new SafeTensorsException(file, "header length " + headerLength + " does not fit a file of " + size
                        + " bytes (truncated or not safetensors)");
            }
            ByteBuffer h = ByteBuffer.allocate((int) headerLength);
            readFully(ch, h, 8);
            JsonObject header;
            try {
                header = JsonParser.parseString(new String(h.array(), StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new SafeTensorsException(file, "the header is not a JSON object (" + e.getMessage() + ")");
            }
            long dataStart = 8 + headerLength;
            long dataLength = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                try {
                    if (e.getKey().equals("__metadata__")) {
                        e.getValue().getAsJsonObject().entrySet().forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                    } else {
                        entries.put(e.getKey(), entry(e.getKey(), e.getValue().getAsJsonObject(), dataLength, file));
                    }
                } catch (IllegalStateException | UnsupportedOperationException | NullPointerException
                         | ClassCastException | NumberFormatException ex) {
                    throw new SafeTensorsException(file, "entry '" + e.getKey() + "' is malformed (" + ex.getMessage() + ")");
                }
            }
            return new SafeTensorsFile(file, ch, dataStart, entries, metadata);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** One header entry, checked against the data section's length (a truncated file is named here). */
    static Entry entry(String name, JsonObject o, long dataLength, Path file) {
        DType dtype = DType.parse(o.get("dtype").getAsString(), name, file);
        JsonArray s = o.getAsJsonArray("shape");
        long[] shape = new long[s.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = s.get(i).getAsLong();
            if (shape[i] < 0) {
                throw new SafeTensorsException(file, "tensor '" + name + "' has a negative dimension");
            }
            count = Math.multiplyExact(count, shape[i]);
        }
        JsonArray offsets = o.getAsJsonArray("data_offsets");
        long begin = offsets.get(0).getAsLong();
        long end = offsets.get(1).getAsLong();
        if (begin < 0 || end < begin || end > dataLength) {
            throw new SafeTensorsException(file, "tensor '" + name + "' claims bytes [" + begin + ", " + end + ") but the data"
                    + " section has " + dataLength + " bytes (truncated?)");
        }
        if (end - begin != count * dtype.bytes()) {
            throw new SafeTensorsException(file, "tensor '" + name + "' has " + (end - begin) + " bytes but shape "
                    + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + count * dtype.bytes());
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            p += n;
        }
    }

    public Path file() {
        return file;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * One tensor as an NDArray of {@code type} (FLOAT32 or FLOAT16) in {@code manager}.
     */
    public NDArray load(String name, NDManager manager, DataType type) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new SafeTensorsException(file, "has no tensor '" + name + "'");
        }
        Shape shape = new Shape(e.shape());
        long bytes = e.end() - e.begin();
        if (e.count() == 0) {
            return manager.zeros(shape, type);
        }
        MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), bytes);
        mapped.order(ByteOrder.LITTLE_ENDIAN);
        // DJL wraps a direct buffer without copying: the mapping is read-only and goes away, so copy it out at once
        try (NDManager host = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            NDArray raw = switch (e.dtype()) {
                case F32 -> host.create(mapped, shape, DataType.FLOAT32);
                case F16 -> host.create(mapped, shape, DataType.FLOAT16);
                case BF16 -> host.create(widenBf16(mapped, e.count()), shape, DataType.FLOAT32);
                case I64 -> host.create(mapped, shape, DataType.INT64);
            };
            // toDevice(copy = true) hands back the same array when the device is already right: clone explicitly
            NDArray copy = manager.getDevice().equals(ai.djl.Device.cpu()) ? raw.duplicate()
                    : raw.toDevice(manager.getDevice(), true);
            NDArray out = copy.getDataType() == type ? copy : copy.toType(type, false);
            out.attach(manager);
            return out;
        }
    }

    /** bfloat16 -> float32 is {@code bits << 16}; done in chunks into one direct buffer. */
    private static ByteBuffer widenBf16(ByteBuffer src, long count) {
        ByteBuffer dst = ByteBuffer.allocateDirect(Math.toIntExact(count * 4)).order(ByteOrder.nativeOrder());
        short[] chunk = new short[(int) Math.min(CHUNK, count)];
        var shorts = src.asShortBuffer();
        var floats = dst.asIntBuffer();
        long done = 0;
        while (done < count) {
            int n = (int) Math.min(chunk.length, count - done);
            shorts.get(chunk, 0, n);
            for (int i = 0; i < n; i++) {
                floats.put((chunk[i] & 0xffff) << 16);
            }
            done += n;
        }
        return dst;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
