package org.flowlab.demo;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.SchedulePreset;
import org.flowlab.viz.ImageGrid;
import org.flowlab.viz.LineChart;
import org.flowlab.viz.Renderable;
import org.flowlab.viz.MimeBundle;
import org.flowlab.viz.ScatterImage;

/**
 * Euler sampling of a {@link GaussianMixture2D} with more and more steps: what a few-step sampler loses, in a
 * picture. It is the demo job of the live display until the trainers exist: it reports every finished step count
 * through {@link ProgressListener} (metric: mean negative log-likelihood of the samples under the target; preview:
 * the scatter plots so far) and checks {@link Interruption} between Euler steps.
 *
 * @param target the distribution sampled
 * @param stepCounts the Euler step counts, in the order they run
 * @param samples points drawn per step count (the same noise for every count)
 * @param seed the noise
 * @param paceMillis a pause after each step count so a person can watch the display update (0 for none)
 */
public record EulerSweep(GaussianMixture2D target, int[] stepCounts, int samples, long seed, long paceMillis) {

    public EulerSweep {
        if (stepCounts.length == 0 || Arrays.stream(stepCounts).anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("step counts " + Arrays.toString(stepCounts) + " must be 1 or more each");
        }
        if (samples < 1) {
            throw new IllegalArgumentException("samples " + samples + " is not allowed; use 1 or more");
        }
        if (paceMillis < 0) {
            throw new IllegalArgumentException("pace " + paceMillis + " ms is not allowed; use 0 or more");
        }
        stepCounts = stepCounts.clone();
    }

    /** Eight modes on a ring, 1..64 steps, 2000 points, 250 ms between step counts. */
    public static EulerSweep demo(long seed) {
        return new EulerSweep(GaussianMixture2D.ring(8, 2.0, 0.15), new int[] {1, 2, 4, 8, 16, 32, 64}, 2000, seed, 250);
    }

    /** One finished step count. */
    public record Stage(int steps, double[][] points, double nll) {
        public BufferedImage image() {
            return ScatterImage.draw(points, 3.2, 160, steps + (steps == 1 ? " step" : " steps"));
        }
    }

    /** Every stage, drawable as a grid of scatter plots plus the NLL curve. */
    public record Result(List<Stage> stages) implements Renderable {
        public ImageGrid grid() {
            List<BufferedImage> images = new ArrayList<>();
            for (Stage s : stages) {
                images.add(s.image());
            }
            return ImageGrid.of(images).scale(1).columns(Math.min(8, images.size()));
        }

        public LineChart nllChart() {
            double[] x = stages.stream().mapToDouble(Stage::steps).toArray();
            double[] y = stages.stream().mapToDouble(Stage::nll).toArray();
            return LineChart.titled("NLL of Euler samples").xLabel("Euler steps").yLabel("mean -log p").markers()
                    .series("nll", x, y);
        }

        @Override
        public MimeBundle bundle() {
            return grid().bundle().with(MimeBundle.TEXT_PLAIN, toString());
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("EulerSweep:");
            for (Stage s : stages) {
                sb.append(String.format(Locale.ROOT, " %d steps nll=%.3f;", s.steps(), s.nll()));
            }
            return sb.toString();
        }
    }

    public Result run(ProgressListener listener) {
        long start = System.nanoTime();
        List<Stage> stages = new ArrayList<>();
        Progress last = Progress.of("Euler sweep", 0, stepCounts.length, 0);
        Throwable error = null;
        try {
            ProgressListener.notify(listener, last);
            for (int n : stepCounts) {
                double[][] pts = sample(n);
                stages.add(new Stage(n, pts, nll(pts)));
                // the preview is the result itself: only a listener that shows it pays for drawing it
                last = new Progress("Euler sweep", stages.size(), stepCounts.length, (System.nanoTime() - start) / 1e9,
                        Map.of("nll", stages.get(stages.size() - 1).nll()), new Result(List.copyOf(stages)));
                ProgressListener.notify(listener, last);
                if (paceMillis > 0 && stages.size() < stepCounts.length) {
                    pause();
                }
            }
            return new Result(List.copyOf(stages));
        } catch (RuntimeException | Error e) {
            error = e;
            throw e;
        } finally {
            try {
                listener.onFinished(last, error);
            } catch (RuntimeException ignored) {
                // a display failure must not hide the run's own outcome
            }
        }
    }

    private void pause() {
        try {
            Thread.sleep(paceMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Interruption.check("during the Euler sweep's pause");
        }
    }

    /** Euler from sigma = 1 (noise) to 0 on the linear schedule: {@code x <- x + (sigma[i+1] - sigma[i]) * v}. */
    double[][] sample(int steps) {
        Schedule schedule = SchedulePreset.LINEAR.schedule(steps);
        Random noise = new Random(seed);
        double[][] x = new double[samples][];
        for (int j = 0; j < samples; j++) {
            x[j] = new double[] {noise.nextGaussian(), noise.nextGaussian()};
        }
        for (int i = 0; i < steps; i++) {
            Interruption.check("at Euler step " + i + " of " + steps);
            double sigma = schedule.sigma(i);
            double dt = schedule.sigma(i + 1) - sigma;
            for (double[] p : x) {
                double[] v = target.velocity(p[0], p[1], sigma);
                p[0] += dt * v[0];
                p[1] += dt * v[1];
            }
        }
        return x;
    }

    /** Mean {@code -log p(x)} under the target: lower is closer (a point mass at the mean scores badly). */
    double nll(double[][] points) {
        double s = 0;
        for (double[] p : points) {
            s -= target.logDensity(p[0], p[1]);
        }
        return s / points.length;
    }

    @Override
    public int[] stepCounts() {
        return stepCounts.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EulerSweep e && target.equals(e.target) && Arrays.equals(stepCounts, e.stepCounts)
                && samples == e.samples && seed == e.seed && paceMillis == e.paceMillis;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(stepCounts) * 31 + Long.hashCode(seed);
    }

    @Override
    public String toString() {
        return "EulerSweep(" + target + ", steps " + Arrays.toString(stepCounts) + ", " + samples + " samples)";
    }
}
