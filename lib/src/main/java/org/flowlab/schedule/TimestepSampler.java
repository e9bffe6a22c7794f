package org.flowlab.schedule;

import java.util.random.RandomGenerator;

/**
 * What a trainer draws each step: one sigma per sample (SPEC-flow.md, "Training-time timestep sampling").
 * Every draw comes from the generator the caller passes, so a seed fixes the whole sequence.
 */
public sealed interface TimestepSampler
        permits TimestepSampler.Uniform, TimestepSampler.LogitNormal, TimestepSampler.Mode,
        TimestepSampler.Sd3Index, CustomTimesteps {

    /** Sigmas for a batch of {@code batch} samples. */
    double[] sample(int batch, RandomGenerator rng);

    /** {@code u ~ U[0,1)}, then the static shift ({@code 1} = none). */
    record Uniform(double shift) implements TimestepSampler {
        public Uniform {
            TimeShift.of(shift);
        }

        public Uniform() {
            this(1.0);
        }

        @Override
        public double[] sample(int batch, RandomGenerator rng) {
            double[] out = new double[requireBatch(batch)];
            for (int i = 0; i < batch; i++) {
                out[i] = TimeShift.of(shift).apply(rng.nextDouble());
            }
            return out;
        }
    }

    /** {@code u = sigmoid(N(mean, std))} (SD3's default), then the static shift. */
    record LogitNormal(double mean, double std, double shift) implements TimestepSampler {
        public LogitNormal {
            if (!(std > 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
                throw new IllegalArgumentException("logit-normal needs a finite mean and std > 0, got mean "
                        + mean + ", std " + std);
            }
            TimeShift.of(shift);
        }

        public LogitNormal(double mean, double std) {
            this(mean, std, 1.0);
        }

        @Override
        public double[] sample(int batch, RandomGenerator rng) {
            double[] out = new double[requireBatch(batch)];
            for (int i = 0; i < batch; i++) {
                double z = mean + std * rng.nextGaussian();
                out[i] = TimeShift.of(shift).apply(1 / (1 + Math.exp(-z)));
            }
            return out;
        }
    }

    /** SD3's "mode" density: {@code u = 1 - u - scale*(cos(pi u/2)^2 - 1 + u)}, then the static shift. */
    record Mode(double scale, double shift) implements TimestepSampler {
        public Mode {
            // beyond ~1.29 the map stops being monotone and leaves [0, 1]
            if (!(Math.abs(scale) <= 1.29)) {
                throw new IllegalArgumentException("mode scale " + scale + " is outside [-1.29, 1.29]");
            }
            TimeShift.of(shift);
        }

        public Mode(double scale) {
            this(scale, 1.0);
        }

        /** The deterministic part: where a uniform {@code u} lands. */
        public double map(double u) {
            double c = Math.cos(Math.PI * u / 2);
            return 1 - u - scale * (c * c - 1 + u);
        }

        @Override
        public double[] sample(int batch, RandomGenerator rng) {
            double[] out = new double[requireBatch(batch)];
            for (int i = 0; i < batch; i++) {
                out[i] = TimeShift.of(shift).apply(map(rng.nextDouble()));
            }
            return out;
        }
    }

    /** SD3 index style: {@code index = floor(u * N)}, sigma from the scheduler's (shifted) training table. */
    final class Sd3Index implements TimestepSampler {
        private final double[] table;

        public Sd3Index(SchedulerConfig config) {
            this.table = config.trainingSigmas();
        }

        /** The table of a static-shift scheduler with this shift. */
        public Sd3Index(double shift) {
            this(SchedulerConfig.staticShift(shift));
        }

        public double[] table() {
            return table.clone();
        }

        @Override
        public double[] sample(int batch, RandomGenerator rng) {
            double[] out = new double[requireBatch(batch)];
            for (int i = 0; i < batch; i++) {
                out[i] = table[(int) Math.floor(rng.nextDouble() * table.length)];
            }
            return out;
        }

        @Override
        public String toString() {
            return "Sd3Index[" + table.length + " entries, sigma " + table[0] + " .. " + table[table.length - 1] + "]";
        }
    }

    static int requireBatch(int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch " + batch + " is not allowed; use 1 or more");
        }
        return batch;
    }
}
