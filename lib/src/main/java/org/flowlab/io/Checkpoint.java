package org.flowlab.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint: one safetensors file (F32) holding every tensor a run needs to continue bit-identically
 * (model, adapters, EMAs, optimizer moments) and string metadata (step, seeds, cursors, configs), plus a SHA-256 of
 * the tensors that {@link #load} verifies. Written atomically: a crash mid-write leaves the previous checkpoint.
 */
public final class Checkpoint {
    public static final String FORMAT_KEY = "flowlab.checkpoint";
    public static final String FORMAT_VERSION = "1";
    public static final String CHECKSUM_KEY = "flowlab.sha256";

    private Checkpoint() {
    }

    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(FORMAT_KEY, FORMAT_VERSION);
        meta.put(CHECKSUM_KEY, SafeTensors.checksum(tensors));
        SafeTensors.write(file, tensors, meta, DType.F32);
    }

    /** Reads and verifies a checkpoint; the error names the file and what does not match. */
    public static SafeTensors.Contents load(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        if (!FORMAT_VERSION.equals(c.metadata().get(FORMAT_KEY))) {
            throw new SafeTensorsException(file, "not a Flowlab checkpoint (no " + FORMAT_KEY + "=" + FORMAT_VERSION
                    + " in its metadata)");
        }
        String expected = c.metadata().get(CHECKSUM_KEY);
        String actual = SafeTensors.checksum(c.tensors());
        if (!actual.equals(expected)) {
            throw new SafeTensorsException(file, "checksum mismatch: the tensors are corrupted (stored " + expected
                    + ", computed " + actual + ")");
        }
        return c;
    }

    /**
     * Checks that the checkpoint holds exactly these names with these shapes.
     *
     * @throws IllegalArgumentException listing what is missing, extra or of another shape
     */
    public static void requireShapes(Path file, SafeTensors.Contents c, Map<String, long[]> expected) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Tensor t = c.tensors().get(e.getKey());
            if (t == null) {
                problems.add("missing " + e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add(e.getKey() + " has shape " + Arrays.toString(t.shape()) + ", expected "
                        + Arrays.toString(e.getValue()));
            }
        }
        for (String name : c.tensors().keySet()) {
            if (!expected.containsKey(name)) {
                problems.add("unexpected " + name);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + " does not fit this run: " + String.join("; ",
                    problems.subList(0, Math.min(5, problems.size()))) + (problems.size() > 5 ? "; and "
                    + (problems.size() - 5) + " more" : ""));
        }
    }

    /** Temp files a crash may have left beside checkpoints in {@code dir}; safe to delete. */
    public static List<Path> leftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(AtomicFiles.TEMP_MARKER)).toList();
        }
    }
}
