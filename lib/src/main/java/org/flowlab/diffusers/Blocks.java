package org.flowlab.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.Ops;
import org.flowlab.model.OwnedArrays;

/**
 * The small pieces diffusers' transformers are built from, as functions (DJL's habit: the math as a static method a
 * block calls). Each says which diffusers code it follows. Scalar products go through {@link Ops#scale}, which
 * autograd can keep (DJL-NOTES). Legend: B batch, S sequence, H heads, Dh head width.
 */
final class Blocks {
    private Blocks() {
    }

    /** diffusers' TimestepEmbedding ({@code linear_1}, SiLU, {@code linear_2}): the timestep, guidance and pooled-text embedders. */
    record TimestepEmbedding(LinearLayer linear1, LinearLayer linear2) {
        static TimestepEmbedding of(ModuleBuilder mb, String prefix, int in, int d) {
            return new TimestepEmbedding(mb.linear(prefix + ".linear_1", in, d, true, ModuleBuilder.Init.NORMAL_002),
                    mb.linear(prefix + ".linear_2", d, d, true, ModuleBuilder.Init.NORMAL_002));
        }

        NDArray forward(NDArray x) {
            return linear2.forward(silu(linear1.forward(x)));
        }
    }

    /**
     * LayerNorm over the last axis without affine parameters ({@code elementwise_affine=False}); statistics in
     * float32 whatever the activations' dtype, as torch's layer_norm accumulates.
     */
    static NDArray layerNorm(NDArray x, float eps) {
        NDArray f = float32(x);
        NDArray mean = f.mean(new int[] {-1}, true);
        NDArray centred = f.sub(mean);
        NDArray var = centred.square().mean(new int[] {-1}, true);
        return like(centred.div(var.add(eps).sqrt()), x);
    }

    /**
     * RMSNorm over the last axis: {@code x * rsqrt(mean(x^2) + eps) * weight} (torch.nn.RMSNorm, diffusers' RMSNorm),
     * the variance in float32 as diffusers computes it.
     */
    static NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        NDArray f = float32(x);
        NDArray ms = f.square().mean(new int[] {-1}, true);
        return like(f.div(ms.add(eps).sqrt()), x).mul(weight);
    }

    /** x as float32 (itself when it is), on the graph. */
    static NDArray float32(NDArray x) {
        return org.flowlab.model.Ops.cast(x, DataType.FLOAT32);
    }

    /** x in the dtype of {@code like} (itself when it is), on the graph. */
    static NDArray like(NDArray x, NDArray like) {
        return org.flowlab.model.Ops.cast(x, like.getDataType());
    }

    /** {@code x * (1 + scale) + shift}, scale and shift (B, D) broadcast over the sequence. */
    static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
        return x.mul(scale.expandDims(1).add(1f)).add(shift.expandDims(1));
    }

    /** GELU with the tanh approximation ({@code nn.GELU(approximate="tanh")}, diffusers' "gelu-approximate"). */
    static NDArray geluTanh(NDArray x) {
        NDArray inner = Ops.scale(x.add(Ops.scale(x.mul(x).mul(x), 0.044715)), Math.sqrt(2 / Math.PI));
        return Ops.scale(x.mul(inner.tanh().add(1f)), 0.5);
    }

    static NDArray silu(NDArray x) {
        return Ops.silu(x);
    }

    /**
     * Sinusoidal timestep features as diffusers' {@code get_timestep_embedding}: {@code exp(-ln(10000) i / (half -
     * shift))} times t, then [sin, cos] ([cos, sin] when {@code flipSinToCos}), in float32 as torch computes it.
     *
     * @param t (B)
     * @return (B, dim)
     */
    static NDArray timestepFeatures(NDArray t, int dim, boolean flipSinToCos, float downscaleFreqShift) {
        int half = dim / 2;
        NDManager m = t.getManager();
        NDArray exponent = m.arange(0, half, 1, DataType.FLOAT32).mul((float) -Math.log(10000))
                .div(half - downscaleFreqShift);
        NDArray args = t.toType(DataType.FLOAT32, false).expandDims(1).mul(exponent.exp().expandDims(0)); // (B, half)
        NDArray sin = args.sin();
        NDArray cos = args.cos();
        return flipSinToCos ? NDArrays.concat(new NDList(cos, sin), 1) : NDArrays.concat(new NDList(sin, cos), 1);
    }

    /**
     * Flux's 3-axis rotary table ({@code FluxPosEmbed}, {@code get_1d_rotary_pos_embed} with use_real and
     * repeat_interleave_real): per axis {@code freq_i = 1 / theta^(2i / dim)}, angles {@code pos * freq} in float64,
     * cos and sin each repeated twice, the axes concatenated.
     *
     * @param ids (S, axes) positions
     * @return cos and sin, each (S, sum(axesDim)), float32
     */
    static NDArray[] rotaryTable(float[][] ids, int[] axesDim, double theta, NDManager m) {
        int s = ids.length;
        int width = 0;
        for (int d : axesDim) {
            width += d;
        }
        float[] cos = new float[s * width];
        float[] sin = new float[s * width];
        for (int p = 0; p < s; p++) {
            int col = 0;
            for (int axis = 0; axis < axesDim.length; axis++) {
                int dim = axesDim[axis];
                for (int i = 0; i < dim / 2; i++) {
                    double freq = 1.0 / Math.pow(theta, (2.0 * i) / dim);
                    double angle = ids[p][axis] * freq;
                    float c = (float) Math.cos(angle);
                    float sn = (float) Math.sin(angle);
                    cos[p * width + col] = c;
                    cos[p * width + col + 1] = c;
                    sin[p * width + col] = sn;
                    sin[p * width + col + 1] = sn;
                    col += 2;
                }
            }
        }
        return new NDArray[] {OwnedArrays.create(m, cos, new Shape(s, width)), OwnedArrays.create(m, sin, new Shape(s, width))};
    }

    /**
     * {@code apply_rotary_emb} with use_real (sequence on axis 1): pairs (x0, x1) of the head axis rotate to
     * {@code x cos + (-x1, x0) sin}.
     *
     * @param x (B, S, H, Dh)
     * @param cos (S, Dh)
     */
    static NDArray applyRotary(NDArray x, NDArray cos, NDArray sin) {
        Shape s = x.getShape();
        NDList pairs = x.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 2, 2).split(2, 4);     // 2 x (B,S,H,Dh/2,1)
        NDArray rotated = NDArrays.concat(new NDList(pairs.get(1).neg(), pairs.get(0)), 4).reshape(s);
        NDArray c = cos.expandDims(1).expandDims(0);                                              // (1,S,1,Dh)
        NDArray sn = sin.expandDims(1).expandDims(0);
        return like(float32(x).mul(c).add(float32(rotated).mul(sn)), x);                          // in float32, as diffusers
    }

    /**
     * Scaled dot-product attention, {@code softmax(q k^T / sqrt(Dh)) v}.
     *
     * @param q (B, S, H, Dh), as diffusers' processors hand it to {@code dispatch_attention_fn}
     * @return (B, S, H * Dh)
     */
    static NDArray attention(NDArray q, NDArray k, NDArray v) {
        Shape s = q.getShape();
        long dh = s.get(3);
        NDArray qh = q.transpose(0, 2, 1, 3);                                                     // (B,H,S,Dh)
        NDArray kh = k.transpose(0, 2, 3, 1);                                                     // (B,H,Dh,S)
        NDArray vh = v.transpose(0, 2, 1, 3);
        NDArray w = Ops.scale(qh.matMul(kh), 1 / Math.sqrt(dh)).softmax(-1);                     // (B,H,S,S)
        return w.matMul(vh).transpose(0, 2, 1, 3).reshape(s.get(0), s.get(1), s.get(2) * dh);
    }
}
