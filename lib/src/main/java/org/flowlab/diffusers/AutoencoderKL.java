package org.flowlab.diffusers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.flowlab.model.LatentCodec;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.Parameter;

/**
 * diffusers' {@code AutoencoderKL} (the SD / SD3 / Flux VAEs) as a {@link LatentCodec}:
 * <pre>
 * encoder: conv_in, down_blocks (ResnetBlock2D x layers_per_block, a stride-2 Downsample2D but the last), mid_block
 *   (resnet, single-head attention over pixels, resnet), GroupNorm, SiLU, conv_out -> (mean, logvar) [-> quant_conv]
 * decoder: [post_quant_conv ->] conv_in, mid_block, up_blocks (ResnetBlock2D x (layers_per_block + 1), nearest x2
 *   Upsample2D but the last), GroupNorm, SiLU, conv_out
 * latents = (mean - shift_factor) * scaling_factor; decode(latents / scaling_factor + shift_factor)
 * </pre>
 * Everything outside works in pixels in [-1, 1] and latents; the scaling lives here, as the pipelines apply it.
 */
public final class AutoencoderKL implements LatentCodec, AutoCloseable {
    private static final float EPS = 1e-6f;

    private record Conv(Parameter weight, Parameter bias) {
        static Conv of(ModuleBuilder mb, String name, long in, long out, int k) {
            return new Conv(mb.tensor(name + ".weight", new Shape(out, in, k, k), Init.XAVIER),
                    mb.tensor(name + ".bias", new Shape(out), Init.ZERO));
        }

        NDArray apply(NDArray x, int stride, int padding) {
            return Conv2d.conv2d(x, weight.array(), bias.array(), new Shape(stride, stride), new Shape(padding, padding),
                    new Shape(1, 1), 1).singletonOrThrow();
        }
    }

    private record Norm(Parameter weight, Parameter bias) {
        static Norm of(ModuleBuilder mb, String name, long channels) {
            return new Norm(mb.constant(name + ".weight", new Shape(channels), 1f), mb.constant(name + ".bias", new Shape(channels), 0f));
        }
    }

    private record Resnet(Norm norm1, Conv conv1, Norm norm2, Conv conv2, Conv shortcut) {
    }

    private record Attention(Norm norm, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer out) {
    }

    private record Mid(Resnet first, Attention attention, Resnet second) {
    }

    private record Stage(List<Resnet> resnets, Conv resample) {
    }

    private final NDManager manager;
    private final int groups;
    private volatile double scaling;
    private volatile double shift;
    private final long[] pixelShape;
    private final long[] latentShape;
    private final Conv encIn;
    private final List<Stage> down = new ArrayList<>();
    private final Mid encMid;
    private final Norm encNormOut;
    private final Conv encOut;
    private final Conv quant;
    private final Conv postQuant;
    private final Conv decIn;
    private final Mid decMid;
    private final List<Stage> up = new ArrayList<>();
    private final Norm decNormOut;
    private final Conv decOut;
    private volatile Path folder;
    private final com.google.gson.JsonObject config;
    private final org.flowlab.model.NamedParameters parameters;
    private volatile String fingerprint;

    private AutoencoderKL(ModelFolder f, ModuleBuilder mb, NDManager manager, int height, int width) {
        this.folder = f.directory();
        this.config = f.config().deepCopy();
        this.parameters = mb.parameters();
        this.manager = manager;
        int[] channels = f.integers("block_out_channels");
        int layers = f.integer("layers_per_block", 1);
        int in = f.integer("in_channels", 3);
        int out = f.integer("out_channels", 3);
        int latent = f.integer("latent_channels", 4);
        groups = f.integer("norm_num_groups", 32);
        String act = f.string("act_fn", "silu");
        if (!act.equals("silu")) {
            throw f.unsupported("act_fn", "'" + act + "'", "the VAEs of SD, SD3 and Flux use silu");
        }
        for (String list : new String[] {"down_block_types", "up_block_types"}) {
            for (var e : f.config().getAsJsonArray(list)) {
                String t = e.getAsString();
                if (!t.equals("DownEncoderBlock2D") && !t.equals("UpDecoderBlock2D")) {
                    throw f.unsupported(list, t, "DownEncoderBlock2D / UpDecoderBlock2D");
                }
            }
        }
        boolean attention = f.bool("mid_block_add_attention", true);
        if (!attention) {
            throw f.unsupported("mid_block_add_attention", false, "the mid block's attention is always there in SD/SD3/Flux");
        }
        scaling = f.config().get("scaling_factor").getAsDouble();
        shift = f.config().has("shift_factor") && !f.config().get("shift_factor").isJsonNull()
                ? f.config().get("shift_factor").getAsDouble() : 0;
        int factor = 1 << (channels.length - 1);
        if (height % factor != 0 || width % factor != 0) {
            throw new IllegalArgumentException("image size " + height + "x" + width + " must be a multiple of " + factor
                    + " for this VAE");
        }
        pixelShape = new long[] {in, height, width};
        latentShape = new long[] {latent, height / factor, width / factor};

        encIn = Conv.of(mb, "encoder.conv_in", in, channels[0], 3);
        long prev = channels[0];
        for (int i = 0; i < channels.length; i++) {
            String n = "encoder.down_blocks." + i;
            List<Resnet> rs = new ArrayList<>();
            for (int j = 0; j < layers; j++) {
                rs.add(resnet(mb, n + ".resnets." + j, j == 0 ? prev : channels[i], channels[i]));
            }
            Conv downsample = i < channels.length - 1 ? Conv.of(mb, n + ".downsamplers.0.conv", channels[i], channels[i], 3) : null;
            down.add(new Stage(rs, downsample));
            prev = channels[i];
        }
        long top = channels[channels.length - 1];
        encMid = mid(mb, "encoder.mid_block", top);
        encNormOut = Norm.of(mb, "encoder.conv_norm_out", top);
        encOut = Conv.of(mb, "encoder.conv_out", top, 2L * latent, 3);
        quant = f.bool("use_quant_conv", true) ? Conv.of(mb, "quant_conv", 2L * latent, 2L * latent, 1) : null;
        postQuant = f.bool("use_post_quant_conv", true) ? Conv.of(mb, "post_quant_conv", latent, latent, 1) : null;

        decIn = Conv.of(mb, "decoder.conv_in", latent, top, 3);
        decMid = mid(mb, "decoder.mid_block", top);
        prev = top;
        for (int i = 0; i < channels.length; i++) {
            long c = channels[channels.length - 1 - i];
            String n = "decoder.up_blocks." + i;
            List<Resnet> rs = new ArrayList<>();
            for (int j = 0; j < layers + 1; j++) {
                rs.add(resnet(mb, n + ".resnets." + j, j == 0 ? prev : c, c));
            }
            Conv upsample = i < channels.length - 1 ? Conv.of(mb, n + ".upsamplers.0.conv", c, c, 3) : null;
            up.add(new Stage(rs, upsample));
            prev = c;
        }
        decNormOut = Norm.of(mb, "decoder.conv_norm_out", channels[0]);
        decOut = Conv.of(mb, "decoder.conv_out", channels[0], out, 3);
    }

    private static Resnet resnet(ModuleBuilder mb, String n, long in, long out) {
        return new Resnet(Norm.of(mb, n + ".norm1", in), Conv.of(mb, n + ".conv1", in, out, 3), Norm.of(mb, n + ".norm2", out),
                Conv.of(mb, n + ".conv2", out, out, 3), in != out ? Conv.of(mb, n + ".conv_shortcut", in, out, 1) : null);
    }

    private static Mid mid(ModuleBuilder mb, String n, long c) {
        Resnet first = resnet(mb, n + ".resnets.0", c, c);
        String a = n + ".attentions.0";
        Attention att = new Attention(Norm.of(mb, a + ".group_norm", c), mb.linear(a + ".to_q", c, c, true, Init.XAVIER),
                mb.linear(a + ".to_k", c, c, true, Init.XAVIER), mb.linear(a + ".to_v", c, c, true, Init.XAVIER),
                mb.linear(a + ".to_out.0", c, c, true, Init.XAVIER));
        return new Mid(first, att, resnet(mb, n + ".resnets.1", c, c));
    }

    /** Loads a diffusers {@code vae/} folder, for images of {@code height} x {@code width} pixels. */
    public static AutoencoderKL load(Path dir, String variant, Device device, int height, int width) throws IOException {
        return ModelFolder.load(dir, variant, DataType.FLOAT32, device, "an AutoencoderKL", Set.of("AutoencoderKL"),
                (f, mb, m) -> new AutoencoderKL(f, mb, m, height, width));
    }

    // ---- the networks ----

    /** GroupNorm over (C/G, H, W) per group, population variance, then the per-channel affine. */
    private NDArray groupNorm(NDArray x, Norm n) {
        Shape s = x.getShape();
        NDArray g = x.reshape(s.get(0), groups, -1);
        NDArray mean = g.mean(new int[] {2}, true);
        NDArray centred = g.sub(mean);
        NDArray var = centred.square().mean(new int[] {2}, true);
        NDArray normed = centred.div(var.add(EPS).sqrt()).reshape(s);
        return normed.mul(n.weight().array().reshape(1, -1, 1, 1)).add(n.bias().array().reshape(1, -1, 1, 1));
    }

    private NDArray resnet(Resnet r, NDArray x) {
        NDArray h = r.conv1().apply(Blocks.silu(groupNorm(x, r.norm1())), 1, 1);
        h = r.conv2().apply(Blocks.silu(groupNorm(h, r.norm2())), 1, 1);
        NDArray skip = r.shortcut() == null ? x : r.shortcut().apply(x, 1, 0);
        return skip.add(h);
    }

    /** The mid block's attention: one head over all pixels, with a residual. */
    private NDArray attention(Attention a, NDArray x) {
        Shape s = x.getShape();
        NDArray tokens = groupNorm(x, a.norm()).reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);     // (B,HW,C)
        NDArray q = a.q().forward(tokens).expandDims(2);                                              // (B,HW,1,C)
        NDArray k = a.k().forward(tokens).expandDims(2);
        NDArray v = a.v().forward(tokens).expandDims(2);
        NDArray o = a.out().forward(Blocks.attention(q, k, v));                                       // (B,HW,C)
        return o.transpose(0, 2, 1).reshape(s).add(x);
    }

    private NDArray mid(Mid m, NDArray x) {
        return resnet(m.second(), attention(m.attention(), resnet(m.first(), x)));
    }

    /** Encoder + quant_conv: the moments (B, 2 latent, h, w). */
    private NDArray moments(NDArray pixels) {
        NDArray h = encIn.apply(pixels, 1, 1);
        for (Stage st : down) {
            for (Resnet r : st.resnets()) {
                h = resnet(r, h);
            }
            if (st.resample() != null) {
                // Downsample2D with padding 0 pads one zero row and column at the bottom and right, then stride 2
                Shape s = h.getShape();
                NDArray col = h.getManager().zeros(new Shape(s.get(0), s.get(1), s.get(2), 1), h.getDataType());
                h = NDArrays.concat(new NDList(h, col), 3);
                NDArray row = h.getManager().zeros(new Shape(s.get(0), s.get(1), 1, s.get(3) + 1), h.getDataType());
                h = st.resample().apply(NDArrays.concat(new NDList(h, row), 2), 2, 0);
            }
        }
        h = encOut.apply(Blocks.silu(groupNorm(mid(encMid, h), encNormOut)), 1, 1);
        return quant == null ? h : quant.apply(h, 1, 0);
    }

    /** The latent distribution of these images: {mean, logvar} (logvar clamped to [-30, 20], as diffusers). */
    public NDArray[] latentDistribution(NDArray pixels) {
        NDList parts = moments(pixels).split(2, 1);
        return new NDArray[] {parts.get(0), parts.get(1).clip(-30, 20)};
    }

    /** The decoder (after post_quant_conv) on unscaled latents. */
    public NDArray decodeRaw(NDArray z) {
        NDArray h = decIn.apply(postQuant == null ? z : postQuant.apply(z, 1, 0), 1, 1);
        h = mid(decMid, h);
        for (Stage st : up) {
            for (Resnet r : st.resnets()) {
                h = resnet(r, h);
            }
            if (st.resample() != null) {
                h = st.resample().apply(h.repeat(2, 2).repeat(3, 2), 1, 1); // nearest x2, then a 3x3 conv
            }
        }
        return decOut.apply(Blocks.silu(groupNorm(h, decNormOut)), 1, 1);
    }

    // ---- as a LatentCodec ----

    @Override
    public long[] pixelShape() {
        return pixelShape.clone();
    }

    @Override
    public long[] latentShape() {
        return latentShape.clone();
    }

    /** {@code (mean - shift_factor) * scaling_factor}: the distribution's mode, scaled as the pipelines scale it. */
    @Override
    public NDArray encode(NDArray pixels) {
        return org.flowlab.model.Ops.scale(latentDistribution(pixels)[0].sub((float) shift), scaling);
    }

    @Override
    public NDArray decode(NDArray latents) {
        return decodeRaw(org.flowlab.model.Ops.scale(latents, 1 / scaling).add((float) shift));
    }

    /**
     * The vae folder's files (config in full, weights by size, head and tail); for a VAE made here and not saved, its
     * config and every weight.
     */
    @Override
    public String fingerprint() {
        String f = fingerprint;
        if (f == null) {
            f = java.nio.file.Files.isDirectory(folder)
                    ? org.flowlab.model.Fingerprint.of("AutoencoderKL").addFolder(folder).hex()
                    : org.flowlab.model.Fingerprint.of("AutoencoderKL").add(config.toString()).add(parameters).hex();
            fingerprint = f;
        }
        return f;
    }

    /**
     * A new VAE of this config ({@code block_out_channels}, {@code latent_channels}, {@code norm_num_groups}, ... as
     * diffusers' AutoencoderKL takes them) with drawn weights, to be trained ({@link AutoencoderKLTraining}).
     */
    public static AutoencoderKL random(com.google.gson.JsonObject config, Device device, int height, int width) {
        com.google.gson.JsonObject c = config.deepCopy();
        c.addProperty("_class_name", "AutoencoderKL");
        if (!c.has("scaling_factor")) {
            c.addProperty("scaling_factor", 1.0); // set from the latents' spread after training
        }
        return ModelFolder.random(c, DataType.FLOAT32, device, (f, mb, m) -> new AutoencoderKL(f, mb, m, height, width));
    }

    /** The folder it was loaded from or last saved to (for a VAE made here and not saved, a name only). */
    public Path directory() {
        return folder;
    }

    /** Where the weights live. */
    public NDManager manager() {
        return manager;
    }

    /** Every weight by its diffusers name (what training updates and {@link #save} writes). */
    public org.flowlab.model.NamedParameters parameters() {
        return parameters;
    }

    /** The config as diffusers reads it, with this VAE's scaling and shift factors. */
    public com.google.gson.JsonObject config() {
        com.google.gson.JsonObject c = config.deepCopy();
        c.addProperty("scaling_factor", scaling);
        c.addProperty("shift_factor", shift);
        return c;
    }

    /** Sets the factors latents are scaled by: {@code (mean - shift) * scaling} should have mean 0 and std 1. */
    public AutoencoderKL withFactors(double newScaling, double newShift) {
        this.scaling = newScaling;
        this.shift = newShift;
        this.fingerprint = null;
        return this;
    }

    /**
     * Writes a diffusers {@code vae/} folder: {@code config.json} and {@code diffusion_pytorch_model.safetensors}
     * (float32), both written whole, in the layout Flowlab reads diffusers' own VAEs from.
     */
    public void save(Path dir) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        java.util.Map<String, org.flowlab.io.Tensor> t = new java.util.LinkedHashMap<>();
        for (Parameter p : parameters.all()) {
            t.put(p.name(), org.flowlab.io.Tensor.of(p.array()));
        }
        org.flowlab.io.SafeTensors.write(dir.resolve("diffusion_pytorch_model.safetensors"), t,
                java.util.Map.of("format", "pt"), org.flowlab.io.DType.F32);
        org.flowlab.io.AtomicFiles.write(dir.resolve("config.json"), new com.google.gson.GsonBuilder().setPrettyPrinting()
                .create().toJson(config()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        folder = dir;
        fingerprint = null;
    }

    public double scalingFactor() {
        return scaling;
    }

    public double shiftFactor() {
        return shift;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "AutoencoderKL %s <-> %s (scaling %.4f, shift %.4f)",
                org.flowlab.model.Shapes.text(pixelShape), org.flowlab.model.Shapes.text(latentShape), scaling, shift);
    }

    @Override
    public void close() {
        manager.close();
    }
}
