package org.flowlab.scfm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.flowlab.schedule.DynamicShift;
import org.flowlab.schedule.ScfmGrid;
import org.flowlab.schedule.SchedulePreset;
import org.flowlab.schedule.TimeShift;

/**
 * What the sampler drew for one sample of one step (SPEC-scfm.md, steps 1-4 and 8).
 *
 * @param kind teacher-guided, self-guided, or the plain flow-matching target
 * @param n grid size
 * @param j segment start (a multiple of t_skip, {@code j + t_skip <= n})
 * @param sigma {@code T[j]}
 * @param d0 the first jump's size {@code T[j] - T[j + t_skip/2]}
 * @param d1 the second jump's size {@code T[j + t_skip/2] - T[j + t_skip]}
 * @param shift the static shift the grid was bent with ({@code e^mu} when dynamic)
 * @param dynamic whether the resolution-dependent (Flux) shift was drawn
 * @param grid the whole grid {@code T[0..n]}
 */
public record Draw(Kind kind, int n, int j, double sigma, double d0, double d1, double shift, boolean dynamic,
                   double[] grid) {

    /** Who takes the first jump. */
    public enum Kind {
        /** The frozen teacher (LoRA off), then the slow EMA. */
        TEACHER,
        /** The fast EMA of the student, then the slow EMA. */
        SELF,
        /** No jumps: the plain flow-matching target {@code noise - x0} ({@code non_shortcut_ratio}). */
        NON_SHORTCUT;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** {@code T[j] - T[j + t_skip]}: the segment the target averages over. */
    public double segment() {
        return d0 + d1;
    }

    /** JSON for plans and traces: kind, n, j, sigma, d0, d1, shift. */
    public String toJson() {
        return String.format(Locale.ROOT, "{\"kind\": \"%s\", \"n\": %d, \"j\": %d, \"sigma\": %s, \"d0\": %s, \"d1\": %s,"
                + " \"shift\": %s, \"dynamic\": %s}", kind.id(), n, j, sigma, d0, d1, shift, dynamic);
    }

    @Override
    public String toString() {
        return toJson();
    }

    /**
     * The draws of one step, in batch order. {@code imageWidth/Height} give the resolution-dependent shift; pass 0 for
     * a model without one (then only static shifts are drawn).
     */
    public static List<Draw> forStep(ScfmConfig c, int batch, SplittableRandom rng, int imageWidth, int imageHeight) {
        double dynamicShift = Double.NaN;
        if (imageWidth > 0 && imageWidth % 16 == 0 && imageHeight % 16 == 0) {
            DynamicShift flux = SchedulePreset.FLUX_DEV.config().dynamic();
            dynamicShift = Math.exp(flux.mu(imageWidth, imageHeight));
        }
        int nonShortcut = (int) Math.ceil(batch * c.nonShortcutRatio());
        List<Integer> selfSizes = selfGridSizes(c);
        List<Draw> out = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            boolean teacher = rng.nextDouble() < c.teacherRatio();                               // step 1
            int n;
            double shift;
            boolean dynamic;
            double[] grid;
            List<Integer> starts;
            int attempts = 0;
            do { // a phase-restricted run redraws grids with no segment inside its phase (never when whole)
                n = teacher                                                                       // step 2
                        ? c.teacherMinSteps() + c.tSkip() * rng.nextInt((c.teacherMaxSteps() - c.teacherMinSteps()) / c.tSkip() + 1)
                        : selfSizes.get(rng.nextInt(selfSizes.size()));
                dynamic = !Double.isNaN(dynamicShift) && rng.nextDouble() < c.dynamicShiftProbability(); // step 3
                double s = c.shiftMin() + (c.shiftMax() - c.shiftMin()) * rng.nextDouble();
                shift = dynamic ? dynamicShift : s;
                grid = ScfmGrid.sigmas(n, TimeShift.of(shift));
                starts = segmentStarts(grid, n, c.tSkip(), c.phase());
                if (starts.isEmpty() && ++attempts == 10_000) {
                    throw new IllegalArgumentException("no grid drawn in 10000 tries has a t_skip " + c.tSkip()
                            + " segment inside phase " + c.phase() + "; widen the phase or lower t_skip");
                }
            } while (starts.isEmpty());
            int j = starts.get(rng.nextInt(starts.size()));                                       // step 4
            int half = c.tSkip() / 2;
            Kind kind = i < nonShortcut ? Kind.NON_SHORTCUT : teacher ? Kind.TEACHER : Kind.SELF;  // step 8
            out.add(new Draw(kind, n, j, grid[j], grid[j] - grid[j + half], grid[j + half] - grid[j + c.tSkip()], shift,
                    dynamic, grid));
        }
        return out;
    }

    /** The segment starts j (multiples of t_skip, {@code j + t_skip <= n}) whose segment lies inside the phase. */
    private static List<Integer> segmentStarts(double[] grid, int n, int tSkip, ScfmConfig.Phase phase) {
        List<Integer> starts = new ArrayList<>();
        for (int j = 0; j + tSkip <= n; j += tSkip) {
            if (phase.holds(grid[j], grid[j + tSkip])) {
                starts.add(j);
            }
        }
        return starts;
    }

    /**
     * Self-guided grid sizes: powers of two from max(2, t_skip) up to teacher_min / 2 ({2, 4, 8, 16} as released); a
     * grid must hold one whole segment. When none fits, the teacher grid size.
     */
    public static List<Integer> selfGridSizes(ScfmConfig c) {
        List<Integer> sizes = new ArrayList<>();
        for (int p = 2; p <= c.teacherMinSteps() / 2; p *= 2) {
            if (p >= c.tSkip()) {
                sizes.add(p);
            }
        }
        if (sizes.isEmpty()) {
            sizes.add(c.teacherMinSteps());
        }
        return sizes;
    }
}
