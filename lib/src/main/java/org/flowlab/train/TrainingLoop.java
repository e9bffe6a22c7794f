package org.flowlab.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.flowlab.progress.Interruption;
import org.flowlab.progress.Progress;
import org.flowlab.progress.ProgressListener;

/**
 * The one training loop of teacher pre-training, Glance and SCFM: step until the total is reached, report every
 * step, check for interruption between steps, write atomic checkpoints every {@code every} steps and at the end.
 * A step is applied whole or not at all: one whose loss is not finite throws {@link AdamW.NonFiniteException}
 * before anything changes, the loop stops there, and the last checkpoint stays the last good one.
 */
public final class TrainingLoop {
    private TrainingLoop() {
    }

    /** What a trainer gives the loop. */
    public interface Trainer {
        /** Steps applied so far (a resumed run starts above 0). */
        long stepsDone();

        /** One whole step, applied; what it reports. */
        Report advance();

        /** Everything needed to continue bit-identically, in one atomic file. */
        void save(Path checkpoint) throws IOException;
    }

    /**
     * What one step reports.
     *
     * @param metrics loss and friends, for the live display and the run log
     * @param preview a picture to show now (samples), or null
     */
    public record Report(Map<String, Double> metrics, Object preview) {
    }

    /**
     * Where and how often to checkpoint.
     *
     * @param file the checkpoint (null: none)
     * @param every steps between checkpoints (0: only at the end)
     */
    public record Checkpoints(Path file, int every) {
        public static final Checkpoints NONE = new Checkpoints(null, 0);

        public Checkpoints {
            if (every < 0) {
                throw new IllegalArgumentException("checkpoint interval " + every + " must be >= 0");
            }
        }
    }

    /** Runs {@code trainer} until {@code totalSteps} steps are done; the listener hears every step and the end. */
    public static void run(String job, Trainer trainer, long totalSteps, ProgressListener listener, Checkpoints checkpoints)
            throws IOException {
        long start = System.nanoTime();
        long first = trainer.stepsDone();
        Progress last = Progress.of(job, first, totalSteps, 0);
        Throwable error = null;
        boolean saved = true;
        try {
            while (trainer.stepsDone() < totalSteps) {
                Interruption.check("before " + job + " step " + trainer.stepsDone());
                Report r = trainer.advance();
                saved = false;
                last = new Progress(job, trainer.stepsDone(), totalSteps, (System.nanoTime() - start) / 1e9,
                        r.metrics(), r.preview(), first);
                ProgressListener.notify(listener, last);
                if (checkpoints.file() != null && checkpoints.every() > 0 && trainer.stepsDone() % checkpoints.every() == 0) {
                    trainer.save(checkpoints.file());
                    saved = true;
                }
            }
            if (checkpoints.file() != null && !saved) {
                trainer.save(checkpoints.file());
            }
        } catch (RuntimeException | IOException e) {
            error = e;
            throw e;
        } finally {
            if (listener != null) {
                listener.onFinished(last, error);
            }
        }
    }
}
