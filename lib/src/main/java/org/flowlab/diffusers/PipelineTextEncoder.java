package org.flowlab.diffusers;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.flowlab.model.LinearLayer;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.TextEncoder;

/**
 * What Flux's and SD3's text encoders share: their models load on first use, the first CLIP is the LoRA component
 * ({@code text_encoder.} in diffusers' LoRA files), and the fingerprint comes from the folders, not the weights.
 */
abstract class PipelineTextEncoder implements TextEncoder {
    final Lazy<CLIPTextModel> textEncoder;
    private final List<Lazy<?>> models;
    private final String fingerprint;

    PipelineTextEncoder(Lazy<CLIPTextModel> textEncoder, List<Lazy<?>> models, String fingerprint) {
        this.textEncoder = textEncoder;
        this.models = List.copyOf(models);
        this.fingerprint = fingerprint;
    }

    @Override
    public final NDManager manager() {
        return textEncoder.get().manager();
    }

    @Override
    public final NamedParameters parameters() {
        return textEncoder.get().parameters();
    }

    @Override
    public final Map<String, LinearLayer> linears() {
        return textEncoder.get().linears();
    }

    @Override
    public final String fingerprint() {
        return fingerprint;
    }

    /** Whether any of its models has been loaded (a run whose prompts are cached loads none). */
    public final boolean loaded() {
        return models.stream().anyMatch(Lazy::isLoaded);
    }

    @Override
    public final void close() {
        models.forEach(Lazy::close);
    }
}
