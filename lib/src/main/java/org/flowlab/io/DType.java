package org.flowlab.io;

/** The element types Flowlab reads; all become fp32 in memory. */
public enum DType {
    F32(4),
    F16(2),
    /** bfloat16: read only (DJL cannot hold it; it is widened on read with {@code bits << 16}). */
    BF16(2),
    /** int64: read only, for token ids (exact in float32 below 2^24, which every vocabulary is). */
    I64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    static DType parse(String name, String tensor, java.nio.file.Path file) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new SafeTensorsException(file, "tensor '" + tensor + "' has dtype " + name
                + "; Flowlab reads F32, F16, BF16 and I64");
    }
}
