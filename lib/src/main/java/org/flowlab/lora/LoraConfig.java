package org.flowlab.lora;

/**
 * One adapter's shape.
 *
 * @param name the adapter's name ({@code "slow"}, {@code "fast"}, {@code "student"})
 * @param rank r
 * @param alpha the branch is scaled by alpha / r (Glance: alpha = 4r; SCFM: alpha = r)
 * @param targets which Linears get the adapter
 */
public record LoraConfig(String name, int rank, double alpha, TargetSelector targets) {

    public LoraConfig {
        if (name == null || name.isBlank() || name.equals(Lora.BASE)) {
            throw new IllegalArgumentException("adapter name '" + name + "' is not allowed; '" + Lora.BASE
                    + "' means LoRA off");
        }
        if (rank < 1) {
            throw new IllegalArgumentException("rank " + rank + " is not allowed; use 1 or more");
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("alpha " + alpha + " is not allowed; use a finite value > 0");
        }
    }

    public double scale() {
        return alpha / rank;
    }
}
