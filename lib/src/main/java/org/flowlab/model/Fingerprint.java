package org.flowlab.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A SHA-256 content hash built from parts: what caches key their files by, so that a prompt's conditioning or an
 * image's latents are found again by any later run with the same encoder and never by another one. Every part is
 * length-prefixed, so different part lists cannot collide by concatenation.
 */
public final class Fingerprint {
    /** Files up to this size are hashed in full; larger ones (weights) by size, head and tail. */
    static final long WHOLE_FILE_LIMIT = 16L << 20;
    static final int HEAD_AND_TAIL = 1 << 20;

    private final MessageDigest sha;

    private Fingerprint(String kind) {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        add(kind);
    }

    /** A new fingerprint of a thing of this kind ({@code "text encoder"}, {@code "codec"}). */
    public static Fingerprint of(String kind) {
        return new Fingerprint(kind);
    }

    public Fingerprint add(String part) {
        return add(part.getBytes(StandardCharsets.UTF_8));
    }

    public Fingerprint add(long part) {
        sha.update(ByteBuffer.allocate(8).putLong(part).array());
        return this;
    }

    public Fingerprint add(byte[] part) {
        add((long) part.length);
        sha.update(part);
        return this;
    }

    /** Every parameter's name, shape and values (for small models; large ones fingerprint their files). */
    public Fingerprint add(NamedParameters parameters) {
        for (Parameter p : parameters.all()) {
            add(p.name()).add(p.shape().toString());
            float[] v = p.array().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4);
            b.asFloatBuffer().put(v);
            add(b.array());
        }
        return this;
    }

    /**
     * A folder's regular files by name (not recursive): configs and tokenizers in full; weight files, which can be
     * many GB, by their size and their first and last MiB (a safetensors header names every tensor's dtype, shape and
     * offset, and the data after it differs between checkpoints of one architecture).
     */
    public Fingerprint addFolder(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(Files::isRegularFile).sorted().toList();
            for (Path f : files) {
                add(f.getFileName().toString());
                addFile(f);
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint " + dir + ": " + e.getMessage(), e);
        }
    }

    public Fingerprint addFile(Path file) {
        try {
            long size = Files.size(file);
            add(size);
            if (size <= WHOLE_FILE_LIMIT) {
                try (InputStream in = Files.newInputStream(file)) {
                    sha.update(in.readAllBytes());
                }
                return this;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                sha.update(read(ch, 0));
                sha.update(read(ch, size - HEAD_AND_TAIL));
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint " + file + ": " + e.getMessage(), e);
        }
    }

    private static ByteBuffer read(FileChannel ch, long at) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEAD_AND_TAIL);
        while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
            // read until the MiB is full
        }
        return b.flip();
    }

    /** The first 24 hex digits (96 bits): short enough for a file name, far from any chance collision. */
    public String hex() {
        return HexFormat.of().formatHex(sha.digest(), 0, 12);
    }
}
