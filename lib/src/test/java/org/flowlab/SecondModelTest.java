package org.flowlab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowlab.eval.Evaluation;
import org.flowlab.eval.Methods;
import org.flowlab.eval.PromptMetrics;
import org.flowlab.flow.Pipeline;
import org.flowlab.flow.SamplingPlan;
import org.flowlab.glance.Glance;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensors;
import org.flowlab.lora.Lora;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.FlowModel;
import org.flowlab.model.LatentCodec;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.ModuleBuilder;
import org.flowlab.model.ModuleBuilder.Init;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.NoGrad;
import org.flowlab.model.Ops;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.TextEncoder;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.ScheduleFamily;
import org.flowlab.schedule.SchedulePreset;
import org.flowlab.scfm.Draw;
import org.flowlab.scfm.Scfm;
import org.flowlab.scfm.ScfmConfig;
import org.flowlab.scfm.StepTrace;
import org.flowlab.scfm.TeacherCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second model, written here in the tests and nowhere in lib, shaped like Flux rather than like the toy: text
 * embeddings (B, L, E) plus a pooled vector (B, P) plus a guidance value as conditioning, diffusers' module names,
 * 4-channel 8x12 latents behind a codec (a 2x2 pixel unshuffle of 1x16x24 images). Glance, an SCFM step, sampling
 * with classifier-free guidance and an evaluation table run on it through the same library calls as on the toy.
 */
class SecondModelTest {
    static final int E = 12;  // text width
    static final int P = 6;   // pooled width
    static final int L = 5;   // text tokens
    static final int D = 16;  // model width
    static final int HEADS = 2;
    static final long[] LATENT = {4, 8, 12};
    static final long[] PIXELS = {1, 16, 24};

    static DiffusionModel model;

    @TempDir
    static Path dir;

    /** Words to ids by hash, an embedding table, a projection of the mean for the pooled vector. */
    static final class HashTextEncoder implements TextEncoder {
        final NDManager manager = Engines.get().newBaseManager();
        final ModuleBuilder mb;
        final org.flowlab.model.Parameter table;
        final LinearLayer projection;

        HashTextEncoder(long seed) {
            mb = new ModuleBuilder(manager, seed);
            table = mb.tensor("shared.weight", new Shape(32, E), Init.NORMAL_002);
            projection = mb.linear("text_projection", E, P, false, Init.XAVIER);
        }

        @Override
        public Conditioning encode(List<String> prompts, NDManager m) {
            int[] ids = new int[prompts.size() * L];
            for (int b = 0; b < prompts.size(); b++) {
                String[] words = prompts.get(b).isBlank() ? new String[0] : prompts.get(b).split(" ");
                for (int i = 0; i < L; i++) {
                    ids[b * L + i] = i < words.length ? 1 + Math.floorMod(words[i].hashCode(), 31) : 0;
                }
            }
            NDArray oneHot = OwnedArrays.create(m, ids, new Shape(prompts.size(), L)).oneHot(32);     // (B,L,V)
            NDArray states = oneHot.matMul(table.array()).mul(10f);                                   // (B,L,E)
            NDArray pooled = projection.forward(states.mean(new int[] {1}));                          // (B,P)
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("encoder_hidden_states", states);
            t.put("pooled_projections", pooled);
            return Conditioning.of(prompts, t);
        }

        @Override
        public NDManager manager() {
            return manager;
        }

        @Override
        public NamedParameters parameters() {
            return mb.parameters();
        }

        @Override
        public Map<String, LinearLayer> linears() {
            return mb.linears();
        }

        @Override
        public String describe() {
            return "hash text encoder";
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** One Flux-style double-stream block on 2x2-packed latents, guidance embedded. */
    static final class TinyFlux implements FlowModel {
        final NDManager manager = Engines.get().newBaseManager();
        final ModuleBuilder mb;
        final Map<String, LinearLayer> l;
        final NDArray ones;
        final NDArray zeros;

        TinyFlux(long seed) {
            mb = new ModuleBuilder(manager, seed);
            mb.linear("x_embedder", 16, D, true, Init.XAVIER);
            mb.linear("context_embedder", E, D, true, Init.XAVIER);
            for (String e : List.of("timestep_embedder", "guidance_embedder")) {
                mb.linear("time_text_embed." + e + ".linear_1", 8, D, true, Init.XAVIER);
                mb.linear("time_text_embed." + e + ".linear_2", D, D, true, Init.XAVIER);
            }
            mb.linear("time_text_embed.text_embedder.linear_1", P, D, true, Init.XAVIER);
            mb.linear("time_text_embed.text_embedder.linear_2", D, D, true, Init.XAVIER);
            String b = "transformer_blocks.0.";
            mb.linear(b + "norm1.linear", D, 6L * D, true, Init.NORMAL_002);
            mb.linear(b + "norm1_context.linear", D, 6L * D, true, Init.NORMAL_002);
            for (String n : List.of("to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0", "to_add_out")) {
                mb.linear(b + "attn." + n, D, D, true, Init.XAVIER);
            }
            mb.linear(b + "ff.net.0.proj", D, 2L * D, true, Init.XAVIER);
            mb.linear(b + "ff.net.2", 2L * D, D, true, Init.XAVIER);
            mb.linear("norm_out.linear", D, 2L * D, true, Init.NORMAL_002);
            mb.linear("proj_out", D, 16, true, Init.XAVIER);
            l = mb.linears();
            ones = manager.ones(new Shape(D));
            zeros = manager.zeros(new Shape(D));
        }

        @Override
        public NDArray velocity(NDArray x, NDArray sigma, Conditioning c) {
            requireLatents(x);
            requireGuidanceMatches(c);
            long batch = x.getShape().get(0);
            NDArray tokens = x.reshape(batch, 4, 4, 2, 6, 2).transpose(0, 2, 4, 1, 3, 5).reshape(batch, 24, 16); // pack 2x2
            NDArray img = l.get("x_embedder").forward(tokens);                                          // (B,24,D)
            NDArray txt = l.get("context_embedder").forward(c.tensor("encoder_hidden_states"));         // (B,L,D)
            NDArray temb = embed("timestep_embedder", sigma).add(embed("guidance_embedder", c.guidance()))
                    .add(mlp("time_text_embed.text_embedder", c.tensor("pooled_projections")));         // (B,D)
            NDArray silu = Ops.silu(temb);
            NDList mi = l.get("transformer_blocks.0.norm1.linear").forward(silu).expandDims(1).split(6, 2);
            NDList mt = l.get("transformer_blocks.0.norm1_context.linear").forward(silu).expandDims(1).split(6, 2);
            NDArray a = modulate(norm(img), mi.get(0), mi.get(1));
            NDArray at = modulate(norm(txt), mt.get(0), mt.get(1));
            String p = "transformer_blocks.0.attn.";
            NDArray q = NDArrays.concat(new NDList(l.get(p + "add_q_proj").forward(at), l.get(p + "to_q").forward(a)), 1);
            NDArray k = NDArrays.concat(new NDList(l.get(p + "add_k_proj").forward(at), l.get(p + "to_k").forward(a)), 1);
            NDArray v = NDArrays.concat(new NDList(l.get(p + "add_v_proj").forward(at), l.get(p + "to_v").forward(a)), 1);
            NDArray o = attention(q, k, v);                                                             // (B,L+24,D)
            NDArray oImg = o.get(":, " + L + ":, :");
            NDArray oTxt = o.get(":, :" + L + ", :");
            img = img.add(mi.get(2).mul(l.get(p + "to_out.0").forward(oImg)));
            txt = txt.add(mt.get(2).mul(l.get(p + "to_add_out").forward(oTxt)));
            NDArray m = modulate(norm(img), mi.get(3), mi.get(4));
            img = img.add(mi.get(5).mul(l.get("transformer_blocks.0.ff.net.2").forward(
                    Activation.gelu(l.get("transformer_blocks.0.ff.net.0.proj").forward(m)))));
            NDList out = l.get("norm_out.linear").forward(silu).expandDims(1).split(2, 2);
            NDArray packed = l.get("proj_out").forward(modulate(norm(img), out.get(0), out.get(1)));    // (B,24,16)
            return packed.reshape(batch, 4, 6, 4, 2, 2).transpose(0, 3, 1, 4, 2, 5).reshape(batch, 4, 8, 12);
        }

        private NDArray embed(String name, NDArray t) {
            NDArray f = t.expandDims(1).mul(OwnedArrays.create(t.getManager(), new float[] {1, 2, 4, 8})); // (B,4)
            return mlp("time_text_embed." + name, NDArrays.concat(new NDList(f.sin(), f.cos()), 1));
        }

        private NDArray mlp(String prefix, NDArray x) {
            return l.get(prefix + ".linear_2").forward(Ops.silu(l.get(prefix + ".linear_1").forward(x)));
        }

        private NDArray norm(NDArray x) {
            return LayerNorm.layerNorm(x, new Shape(D), ones, zeros, 1e-6f).singletonOrThrow();
        }

        private static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
            return x.mul(scale.add(1f)).add(shift);
        }

        private static NDArray attention(NDArray q, NDArray k, NDArray v) {
            long b = q.getShape().get(0);
            long t = q.getShape().get(1);
            long dh = D / HEADS;
            NDArray qh = q.reshape(b, t, HEADS, dh).transpose(0, 2, 1, 3);
            NDArray kh = k.reshape(b, t, HEADS, dh).transpose(0, 2, 3, 1);
            NDArray vh = v.reshape(b, t, HEADS, dh).transpose(0, 2, 1, 3);
            NDArray w = Ops.scale(qh.matMul(kh), 1 / Math.sqrt(dh)).softmax(-1);
            return w.matMul(vh).transpose(0, 2, 1, 3).reshape(b, t, D);
        }

        @Override
        public long[] latentShape() {
            return LATENT.clone();
        }

        @Override
        public boolean takesGuidance() {
            return true;
        }

        @Override
        public NDManager manager() {
            return manager;
        }

        @Override
        public NamedParameters parameters() {
            return mb.parameters();
        }

        @Override
        public Map<String, LinearLayer> linears() {
            return l;
        }

        @Override
        public String describe() {
            return "tiny Flux-like transformer";
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** pixels (B,1,16,24) <-> latents (B,4,8,12): a 2x2 pixel unshuffle, exactly invertible. */
    static final class Unshuffle implements LatentCodec {
        @Override
        public long[] pixelShape() {
            return PIXELS.clone();
        }

        @Override
        public long[] latentShape() {
            return LATENT.clone();
        }

        @Override
        public NDArray encode(NDArray pixels) {
            long b = pixels.getShape().get(0);
            return pixels.reshape(b, 1, 8, 2, 12, 2).transpose(0, 3, 5, 1, 2, 4).reshape(b, 4, 8, 12);
        }

        @Override
        public NDArray decode(NDArray latents) {
            long b = latents.getShape().get(0);
            return latents.reshape(b, 2, 2, 1, 8, 12).transpose(0, 3, 4, 1, 5, 2).reshape(b, 1, 16, 24);
        }
    }

    @BeforeAll
    static void build() {
        Engines.prepareThread();
        model = new DiffusionModel("tiny-flux", new TinyFlux(7), new HashTextEncoder(8), new Unshuffle(),
                ScheduleFamily.SHIFTED_GRID, new DiffusionModel.Defaults(8, 3.0, 1.0, 3.5), Map.of());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static float[] image() {
        float[] px = new float[16 * 24];
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 24; x++) {
                px[y * 24 + x] = (x > 6 && x < 16 && y > 3 && y < 12) ? 0.8f : -0.6f;
            }
        }
        return px;
    }

    @Test
    void codecRoundTripsAndNamesItsSize() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray px = OwnedArrays.create(m, image(), new Shape(1, 1, 16, 24));
            NDArray z = model.codec().encode(px);
            assertEquals(new Shape(1, 4, 8, 12), z.getShape());
            assertArrayEquals(image(), model.codec().decode(z).toFloatArray(), 0f);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.codec().requireImage(new long[] {3, 32, 32}));
        assertTrue(e.getMessage().contains("3x32x32") && e.getMessage().contains("1x16x24"), e.getMessage());
    }

    @Test
    void glanceTrainsOnItAndItsLoraFileHasDiffusersKeys() throws IOException {
        GlanceLists lists = GlanceLists.derive(SchedulePreset.FLUX_DEV, 1024, 1024);
        Glance.Config config = Glance.Config.builder().steps(8).rank(2).guidance(1.0).build(); // official Flux: g = 1
        double[] slow = java.util.Arrays.stream(lists.slow()).map(t -> t / 1000).toArray();
        double[] before = Glance.lossAt(model, Lora.BASE, image(), "a bright box", slow, 4);
        Glance.Result r = Glance.train(model, image(), "a bright box", lists, config, p -> { });
        assertEquals(16, r.losses().size());
        double[] after = Glance.lossAt(model, Glance.SLOW, image(), "a bright box", slow, 4);
        assertTrue(after[0] != before[0], "the slow LoRA changed the model at its timesteps");
        assertTrue(r.slow().modules().contains("transformer_blocks.0.attn.to_out.0"), r.slow().modules().toString());

        Path f = dir.resolve("slow.safetensors");
        LoraFiles.export(r.slow(), f, Map.of());
        assertTrue(SafeTensors.read(f).tensors().containsKey("transformer.transformer_blocks.0.attn.add_k_proj.lora_A.weight"));

        try (NDManager m = model.transformer().manager().newSubManager()) {
            NDArray img = Pipeline.images(model, Pipeline.Request.of(Glance.plan(lists)), List.of("a bright box"),
                    new long[] {1}, m);
            assertEquals(new Shape(1, 1, 16, 24), img.getShape(), "pixels, through the codec");
        }
    }

    @Test
    void scfmStepsOnItWithGuidanceDrawsAndTrueCfgInTheTeacherPasses() throws IOException {
        List<String> prompts = List.of("a bright box", "a dark box", "two boxes", "a wide bright box");
        TeacherCache cache = TeacherCache.pregenerate(model, prompts, 1, 0, new TeacherCache.Settings(4, 3.0, 2.0),
                dir.resolve("cache"), p -> { });
        assertArrayEquals(LATENT, cache.latentShape());
        ScfmConfig c = ScfmConfig.official().toBuilder().lora(2, 2).batchSize(4).teacherCfg(2.0).seed(1).build();
        try (Scfm scfm = new Scfm(model, cache, c)) {
            Map<String, Double> first = scfm.step();
            assertTrue(Double.isFinite(first.get("loss")), first.toString());
            try (StepTrace t = scfm.traceStep()) {
                for (int i = 0; i < t.batchSize(); i++) {
                    Draw d = t.draws().get(i);
                    if (d.kind() == Draw.Kind.NON_SHORTCUT) {
                        continue;
                    }
                    float[] xt = t.sample(t.xT(), i);
                    float[] xe = t.sample(t.xEnd(), i);
                    float[] tg = t.sample(t.target(), i);
                    for (int p = 0; p < xt.length; p++) {
                        assertEquals((xt[p] - xe[p]) / d.segment(), tg[p], 1e-3);
                    }
                }
                assertEquals(new Shape(4, 4, 8, 12), t.pred().getShape());
            }
            assertTrue(scfm.student().modules().contains("time_text_embed.guidance_embedder.linear_1"),
                    "SCFM's targets: every Linear of the transformer");
        }
    }

    @Test
    void samplesWithCfgAndAGuidanceValueAndMakesAnEvaluationTable() {
        SamplingPlan plan = SamplingPlan.of(model.schedule(4), Lora.BASE);
        try (NDManager m = model.transformer().manager().newSubManager(); NoGrad ng = NoGrad.enter()) {
            List<String> p = List.of("a bright box", "a dark box");
            float[] plain = Pipeline.images(model, Pipeline.Request.of(plan), p, new long[] {3, 4}, m).toFloatArray();
            float[] cfg = Pipeline.images(model, Pipeline.Request.of(plan.withGuidance(4.0)), p, new long[] {3, 4}, m)
                    .toFloatArray();
            float[] g7 = Pipeline.images(model, new Pipeline.Request(plan, 1.0, 7.0), p, new long[] {3, 4}, m).toFloatArray();
            assertTrue(maxDiff(plain, cfg) > 1e-4, "CFG changes the samples");
            assertTrue(maxDiff(plain, g7) > 1e-4, "the guidance value is an input");
            assertEquals(2 * 16 * 24, plain.length);
        }
        Map<String, List<String>> sets = new LinkedHashMap<>();
        sets.put("boxes", List.of("a bright box", "a dark box", "two boxes"));
        var rows = Evaluation.run(Methods.reference(model), List.of(Methods.teacher(model, 2)),
                PromptMetrics.none(sets), new Evaluation.Settings(3, 2, 0, 1, 1), null);
        assertEquals(2, rows.size());
        assertEquals(Double.POSITIVE_INFINITY, rows.get(0).psnr(), "the reference against itself");
        assertTrue(rows.get(1).psnr() < 200 && rows.get(1).psnr() > 0, "teacher@2 vs teacher@8: " + rows.get(1).psnr());
        assertEquals(2, rows.get(1).nfe());
        var table = Evaluation.table("tiny flux", rows);
        assertNotNull(table.column("psnr_db"));
    }

    @Test
    void aGuidanceModelWithoutAGuidanceValueIsNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            Conditioning c = model.textEncoder().encode(Collections.nCopies(1, "a box"), m);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.transformer().velocity(m.zeros(new Shape(1, 4, 8, 12)), m.create(new float[] {0.5f}), c));
            assertTrue(e.getMessage().contains("takes a guidance value"), e.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> model.transformer().velocity(m.zeros(new Shape(1, 3, 32, 32)), m.create(new float[] {0.5f}),
                            model.encode(List.of("a box"), m)));
            assertTrue(shape.getMessage().contains("(B, 4, 8, 12)"), shape.getMessage());
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
