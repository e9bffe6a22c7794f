package org.flowlab.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Shapes as people write them in messages: {@code 3x32x32}. */
public final class Shapes {
    private Shapes() {
    }

    /** {@code [3, 32, 32]} -> {@code "3, 32, 32"}. */
    public static String join(long[] shape) {
        return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
    }

    /** {@code [3, 32, 32]} -> {@code "3x32x32"}. */
    public static String text(long[] shape) {
        return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining("x"));
    }

    /** Number of values in one item of this shape. */
    public static int size(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    /** (B, shape...) */
    public static long[] batched(int batch, long[] shape) {
        long[] out = new long[shape.length + 1];
        out[0] = batch;
        System.arraycopy(shape, 0, out, 1, shape.length);
        return out;
    }
}
