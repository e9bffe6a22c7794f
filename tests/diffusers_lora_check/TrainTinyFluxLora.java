import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flowlab.diffusers.FluxTransformer2DModel;
import org.flowlab.glance.Glance;
import org.flowlab.io.LoraFiles;
import org.flowlab.io.SafeTensors;
import org.flowlab.lora.TargetSelector;
import org.flowlab.model.Conditioning;
import org.flowlab.model.DiffusionModel;
import org.flowlab.model.Engines;
import org.flowlab.model.LatentCodec;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.TextEncoder;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.ScheduleFamily;
import org.flowlab.schedule.SchedulePreset;

/**
 * Trains a Glance slow LoRA (Glance-Flux targets, 20 steps) on the tiny diffusers Flux fixture and writes it as Flowlab
 * writes every LoRA: the file diffusers_lora_check.py then loads with diffusers' load_lora_weights.
 * Run by tests/diffusers_lora_check.sh: java -cp FLOWLAB_CLASSPATH TrainTinyFluxLora.java FIXTURE_DIR OUT_FILE
 */
public class TrainTinyFluxLora {
    /** The fixture's set0 text states, for every prompt (the tiny Flux has no text encoder of its own). */
    static final class FixtureText implements TextEncoder {
        final NDManager manager = Engines.get().newBaseManager();
        final SafeTensors.Contents in;

        FixtureText(Path inputs) throws Exception {
            in = SafeTensors.read(inputs);
        }

        public Conditioning encode(List<String> prompts, NDManager m) {
            NDArray text = in.tensor("set0.encoder_hidden_states").toNDArray(m).get("0:1").repeat(0, prompts.size());
            NDArray pooled = in.tensor("set0.pooled_projections").toNDArray(m).get("0:1").repeat(0, prompts.size());
            return Conditioning.of(prompts, Map.of(FluxTransformer2DModel.TEXT, text, FluxTransformer2DModel.POOLED, pooled));
        }

        public NDManager manager() {
            return manager;
        }

        public NamedParameters parameters() {
            return new NamedParameters();
        }

        public Map<String, LinearLayer> linears() {
            return Map.of();
        }

        public String describe() {
            return "fixture text states";
        }

        public void close() {
            manager.close();
        }
    }

    public static void main(String[] args) throws Exception {
        Path fixture = Path.of(args[0]);
        Engines.prepareThread();
        FluxTransformer2DModel flux = FluxTransformer2DModel.load(fixture, null, Device.cpu(), 8, 12);
        try (DiffusionModel model = new DiffusionModel("tiny-flux", flux, new FixtureText(fixture.resolve("inputs.safetensors")),
                LatentCodec.identity(4, 8, 12), ScheduleFamily.SHIFTED_GRID, new DiffusionModel.Defaults(8, 3.0, 1.0, 3.5),
                Map.of())) {
            SafeTensors.Contents in = SafeTensors.read(fixture.resolve("inputs.safetensors"));
            float[] image = java.util.Arrays.copyOf(in.tensor("set0.latents_unpacked").data(), 4 * 8 * 12);
            Glance.Config config = Glance.Config.builder().steps(20).rank(4).guidance(1.0)
                    .targets(TargetSelector.glanceFlux()).build();
            Glance.Result r = Glance.train(model, image, "a tiny photo", GlanceLists.derive(SchedulePreset.FLUX_DEV, 1024, 1024),
                    config, null);
            LoraFiles.export(r.slow(), Path.of(args[1]), Map.of("flowlab.method", "glance"));
            System.err.println("trained " + r.slow() + " -> " + args[1]);
        }
    }
}
