package org.flowlab.schedule;

import java.util.Locale;

/** Per-sample loss weights as functions of sigma (SPEC-flow.md, "Loss weightings"). */
public enum LossWeighting {
    /** Weight 1: what Glance and SCFM use. */
    NONE {
        @Override
        public double weight(double sigma) {
            return 1;
        }
    },
    /** {@code sigma^-2} (SD3's "sigma_sqrt"). */
    SIGMA_SQRT {
        @Override
        public double weight(double sigma) {
            return 1 / (sigma * sigma);
        }
    },
    /** {@code 2 / (pi * (1 - 2 sigma + 2 sigma^2))} (SD3's "cosmap"). */
    COSMAP {
        @Override
        public double weight(double sigma) {
            return 2 / (Math.PI * (1 - 2 * sigma + 2 * sigma * sigma));
        }
    };

    public abstract double weight(double sigma);

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static LossWeighting fromId(String id) {
        for (LossWeighting w : values()) {
            if (w.id().equalsIgnoreCase(id) || w.name().equalsIgnoreCase(id)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown loss weighting '" + id + "'; use none, sigma-sqrt or cosmap");
    }
}
