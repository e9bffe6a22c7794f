package org.flowlab.scfm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.flowlab.model.OwnedArrays;

/**
 * One step's draws as per-sample tensors (B) on the model's device, so the jumps and the target are tensor
 * expressions: sigma = T[j]; for each Euler sub-step k of the segment its sigma T[j+k] and its size
 * T[j+k+1] - T[j+k] (0 for a non-shortcut sample, which does not move); the segment D = T[j] - T[j+t_skip] (1 for
 * a non-shortcut sample, whose target does not use it); which samples are shortcut ones.
 */
record DrawTensors(List<Draw> draws, NDArray sigma, NDArray[] sigmaAt, NDArray[] dtAt, NDArray segment,
                   NDArray isShortcut) {

    static DrawTensors of(List<Draw> draws, int tSkip, NDManager m) {
        int b = draws.size();
        float[] sigma = new float[b];
        float[][] at = new float[tSkip][b];
        float[][] dt = new float[tSkip][b];
        float[] segment = new float[b];
        float[] shortcut = new float[b];
        for (int i = 0; i < b; i++) {
            Draw d = draws.get(i);
            sigma[i] = (float) d.sigma();
            boolean jumps = d.kind() != Draw.Kind.NON_SHORTCUT;
            for (int k = 0; k < tSkip; k++) {
                at[k][i] = (float) (jumps ? d.grid()[d.j() + k] : d.sigma());
                dt[k][i] = jumps ? (float) (d.grid()[d.j() + k + 1] - d.grid()[d.j() + k]) : 0f; // Euler: x += (s' - s) v
            }
            segment[i] = jumps ? (float) d.segment() : 1f;
            shortcut[i] = jumps ? 1f : 0f;
        }
        NDArray[] sigmaAt = new NDArray[tSkip];
        NDArray[] dtAt = new NDArray[tSkip];
        for (int k = 0; k < tSkip; k++) {
            sigmaAt[k] = OwnedArrays.create(m, at[k]);
            dtAt[k] = OwnedArrays.create(m, dt[k]);
        }
        return new DrawTensors(List.copyOf(draws), OwnedArrays.create(m, sigma), sigmaAt, dtAt,
                OwnedArrays.create(m, segment), OwnedArrays.create(m, shortcut).gt(0.5f));
    }

    int batch() {
        return draws.size();
    }

    /** Sub-step k's sigma per sample (B). */
    NDArray sigmaAt(int k) {
        return sigmaAt[k];
    }

    /** Sub-step k's signed size per sample (B). */
    NDArray dtAt(int k) {
        return dtAt[k];
    }

    /** The batch rows of one kind, in order. */
    int[] rows(Draw.Kind kind) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < draws.size(); i++) {
            if (draws.get(i).kind() == kind) {
                r.add(i);
            }
        }
        return r.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Every teacher- and self-guided row, in order. */
    int[] shortcutRows() {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < draws.size(); i++) {
            if (draws.get(i).kind() != Draw.Kind.NON_SHORTCUT) {
                r.add(i);
            }
        }
        return r.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The rows none of these groups holds, in order. */
    int[] rowsOutside(List<int[]> groups) {
        boolean[] taken = new boolean[draws.size()];
        for (int[] g : groups) {
            for (int r : g) {
                taken[r] = true;
            }
        }
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < taken.length; i++) {
            if (!taken[i]) {
                r.add(i);
            }
        }
        return r.stream().mapToInt(Integer::intValue).toArray();
    }
}
