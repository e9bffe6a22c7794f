package org.flowlab.schedule;

/**
 * The resolution-dependent shift parameter of Flux and Qwen-Image: {@code mu} grows linearly with the number of
 * image tokens, from {@code baseShift} at {@code baseSeqLen} to {@code maxShift} at {@code maxSeqLen}
 * (diffusers' {@code calculate_shift}).
 */
public record DynamicShift(double baseShift, double maxShift, int baseSeqLen, int maxSeqLen) {

    public DynamicShift {
        if (maxSeqLen == baseSeqLen) {
            throw new IllegalArgumentException("maxSeqLen must differ from baseSeqLen (both " + baseSeqLen + ")");
        }
    }

    /** {@code mu = seqLen * m + b}, the line through (baseSeqLen, baseShift) and (maxSeqLen, maxShift). */
    public double mu(int seqLen) {
        double m = (maxShift - baseShift) / (maxSeqLen - baseSeqLen);
        double b = baseShift - m * baseSeqLen;
        return seqLen * m + b;
    }

    public double mu(int width, int height) {
        return mu(seqLen(width, height));
    }

    /**
     * Image tokens of a 2x2-packed latent from an 8x VAE: {@code (height/16) * (width/16)}.
     *
     * @throws IllegalArgumentException unless both sides are positive multiples of 16
     */
    public static int seqLen(int width, int height) {
        requireSide("width", width);
        requireSide("height", height);
        return (height / 16) * (width / 16);
    }

    private static void requireSide(String name, int value) {
        if (value <= 0 || value % 16 != 0) {
            int lower = Math.max(16, value / 16 * 16);
            throw new IllegalArgumentException(name + " " + value + " is not a positive multiple of 16 (try "
                    + lower + " or " + (lower + 16) + ")");
        }
    }
}
