package org.flowlab.scfm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.flowlab.ema.EmaStats;
import org.flowlab.flow.Flow;
import org.flowlab.io.DType;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.model.OwnedArrays;

/**
 * One SCFM step taken apart: per sample what was drawn, and the tensors of both jumps, the target and the student's
 * prediction (each (B, C, H, W), on the model's device, owned by this trace: close it when done). The algebra holds
 * by construction and is tested: {@code x_mid = x_t - d0 v1}, {@code x_end = x_mid - d1 v2},
 * {@code target = (x_t - x_end) / (d0 + d1)}; for a non-shortcut sample v1, v2 are 0, {@code x_mid = x_end = x_t}
 * and the target is {@code noise - x0}.
 *
 * @param step the step this was (0-based)
 * @param x0 the cached teacher endpoints the batch started from
 * @param noise the fresh noise
 * @param lossParts mean loss over all samples ("loss") and per kind ("teacher", "self", "non-shortcut")
 * @param ema norms and distances of the student, fast and slow EMA after the step
 * @param arrays the manager that owns the tensors
 * @param codec the model's codec, which {@link #grid} decodes the latents through to show them as pictures
 */
public record StepTrace(long step, List<Draw> draws, List<String> prompts, NDArray x0, NDArray noise, NDArray xT,
                        NDArray v1, NDArray xMid, NDArray v2, NDArray xEnd, NDArray target, NDArray pred,
                        Map<String, Double> lossParts, EmaStats ema, NDManager arrays,
                        org.flowlab.model.LatentCodec codec)
        implements org.flowlab.viz.Renderable, AutoCloseable {

    /** Keeps copies of the step's tensors in {@code owner}; v1 and v2 are recovered from the jumps. */
    static StepTrace of(long step, List<Draw> draws, List<String> prompts, NDManager owner, NDArray x0, NDArray noise,
                        NDArray xT, NDArray xMid, NDArray xEnd, NDArray target, NDArray pred, DrawTensors d,
                        Map<String, Double> lossParts, EmaStats ema, org.flowlab.model.LatentCodec codec) {
        float[] d0 = new float[draws.size()];
        float[] d1 = new float[draws.size()];
        for (int i = 0; i < d0.length; i++) {
            boolean jumps = draws.get(i).kind() != Draw.Kind.NON_SHORTCUT;
            d0[i] = jumps ? (float) draws.get(i).d0() : 1f;
            d1[i] = jumps ? (float) draws.get(i).d1() : 1f;
        }
        NDArray v1 = xT.sub(xMid).div(Flow.perSample(OwnedArrays.create(owner, d0), xT));
        NDArray v2 = xMid.sub(xEnd).div(Flow.perSample(OwnedArrays.create(owner, d1), xT));
        return new StepTrace(step, List.copyOf(draws), List.copyOf(prompts), keep(x0, owner), keep(noise, owner),
                keep(xT, owner), keep(v1, owner), keep(xMid, owner), keep(v2, owner), keep(xEnd, owner),
                keep(target, owner), keep(pred, owner), Map.copyOf(lossParts), ema, owner, codec);
    }

    private static NDArray keep(NDArray a, NDManager owner) {
        NDArray c = a.duplicate();
        c.attach(owner);
        return c;
    }

    @Override
    public void close() {
        arrays.close();
    }

    /** In a notebook: the labelled grid, with the draws as text. */
    @Override
    public org.flowlab.viz.MimeBundle bundle() {
        return grid().bundle().with(org.flowlab.viz.MimeBundle.TEXT_PLAIN, toString());
    }

    public int batchSize() {
        return draws.size();
    }

    public double loss() {
        return lossParts.get("loss");
    }

    /** Sample {@code i} of one of the tensors, on the host, e.g. {@code sample(trace.v1(), 3)}. */
    public float[] sample(NDArray tensor, int i) {
        try (NDArray row = tensor.get(i)) {
            return row.toFloatArray();
        }
    }

    /** (C, H, W) of one sample. */
    public long[] sampleShape() {
        long[] s = x0.getShape().getShape();
        return java.util.Arrays.copyOfRange(s, 1, s.length);
    }

    /** The tensors as F32 safetensors and the draws in {@code __metadata__} ("samples": a JSON list). */
    public void save(Path file) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("x0", Tensor.of(x0));
        t.put("noise", Tensor.of(noise));
        t.put("x_t", Tensor.of(xT));
        t.put("v1", Tensor.of(v1));
        t.put("x_mid", Tensor.of(xMid));
        t.put("v2", Tensor.of(v2));
        t.put("x_end", Tensor.of(xEnd));
        t.put("target", Tensor.of(target));
        t.put("pred", Tensor.of(pred));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("samples", "[" + draws.stream().map(Draw::toJson).collect(Collectors.joining(", ")) + "]");
        meta.put("prompts", new com.google.gson.Gson().toJson(prompts));
        meta.put("step", Long.toString(step));
        lossParts.forEach((k, v) -> meta.put("loss." + k, Double.toString(v)));
        SafeTensors.write(file, t, meta, DType.F32);
    }

    /**
     * The step as pictures, one row per sample: the cached endpoint x0, x_t, x' (after the first jump), x'' (after
     * the second), and where the target and the student's prediction would land in one jump to sigma 0
     * ({@code x_t - sigma * v}); captions name the guide, n, j and sigma.
     */
    public org.flowlab.viz.ImageGrid grid() {
        int b = draws.size();
        long[] shape = sampleShape();
        int per = Math.toIntExact(shape[0] * shape[1] * shape[2]);
        float[] tiles = new float[b * 6 * per];
        java.util.List<String> captions = new java.util.ArrayList<>();
        for (int i = 0; i < b; i++) {
            Draw d = draws.get(i);
            float[][] row = {sample(x0, i), sample(xT, i), sample(xMid, i), sample(xEnd, i),
                oneJump(sample(xT, i), sample(target, i), d.sigma()), oneJump(sample(xT, i), sample(pred, i), d.sigma())};
            for (int k = 0; k < 6; k++) {
                System.arraycopy(row[k], 0, tiles, (i * 6 + k) * per, per);
            }
            captions.add("x0 " + d.kind().id());
            captions.add(String.format(Locale.ROOT, "x_t s=%.2f", d.sigma()));
            captions.add(d.kind() == Draw.Kind.NON_SHORTCUT ? "(no jump)" : String.format(Locale.ROOT, "x' n=%d j=%d", d.n(), d.j()));
            captions.add(d.kind() == Draw.Kind.NON_SHORTCUT ? "(no jump)" : String.format(Locale.ROOT, "x'' D=%.3f", d.segment()));
            captions.add("target->0");
            captions.add("student->0");
        }
        long[] pixels = shape;
        try (NDManager m = arrays.newSubManager(); org.flowlab.model.NoGrad ng = org.flowlab.model.NoGrad.enter()) {
            // a latent model's tiles are latents: shown as the pictures they decode to
            NDArray decoded = codec.decode(OwnedArrays.create(m, tiles,
                    new ai.djl.ndarray.types.Shape(b * 6L, shape[0], shape[1], shape[2])));
            tiles = decoded.toFloatArray();
            pixels = java.util.Arrays.copyOfRange(decoded.getShape().getShape(), 1, 4);
        }
        return org.flowlab.viz.ImageGrid.of(tiles, b * 6, (int) pixels[0], (int) pixels[1], (int) pixels[2])
                .captions(captions).columns(6)
                .title(String.format(Locale.ROOT, "SCFM step %d: loss %.4f (teacher %.4f, self %.4f)", step, loss(),
                        lossParts.get("teacher"), lossParts.get("self")));
    }

    private static float[] oneJump(float[] x, float[] v, double sigma) {
        float[] out = new float[x.length];
        for (int p = 0; p < x.length; p++) {
            out[p] = (float) (x[p] - sigma * v[p]);
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "SCFM step %d, loss %.5f%n", step, loss()));
        for (int i = 0; i < draws.size(); i++) {
            Draw d = draws.get(i);
            sb.append(String.format(Locale.ROOT, "  %d %-12s n=%-2d j=%-2d sigma=%.4f d0=%.4f d1=%.4f shift=%.3f%s  %s%n",
                    i, d.kind().id(), d.n(), d.j(), d.sigma(), d.d0(), d.d1(), d.shift(), d.dynamic() ? " (dynamic)" : "",
                    prompts.get(i)));
        }
        if (ema != null) {
            sb.append("  ").append(ema).append('\n');
        }
        return sb.toString();
    }
}
