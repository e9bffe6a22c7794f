package org.flowlab.ext;

import org.flowlab.demo.EulerSweep;
import org.flowlab.train.BackgroundRun;

/** Jobs that show the live display at work before the trainers exist. */
public final class Demos {
    private Demos() {
    }

    /**
     * Euler sampling of an 8-mode Gaussian ring with 1..64 steps, in the background, drawn live: the scatter plots
     * fill in and the NLL chart falls as the step count grows. Seeded by {@code %seed}.
     */
    public static BackgroundRun<EulerSweep.Result> eulerSweep() {
        return eulerSweep(EulerSweep.demo(Seeds.current()));
    }

    public static BackgroundRun<EulerSweep.Result> eulerSweep(EulerSweep sweep) {
        return Job.start("Euler sweep", sweep::run);
    }
}
