package org.flowlab.lora;

import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.flowlab.model.NamedParameters;
import org.flowlab.model.Parameter;

/**
 * One adapter: for each target Linear an A (r, in) and a B (out, r), named
 * {@code <module>.lora_A.weight} / {@code <module>.lora_B.weight} as in PEFT.
 */
public final class LoraAdapter {
    /** The A and B of one Linear. */
    public record Pair(String module, Parameter a, Parameter b) {
    }

    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, Pair> byModule;
    private final NamedParameters parameters;

    LoraAdapter(LoraConfig config, NDManager manager, Map<String, Pair> byModule, NamedParameters parameters) {
        this.config = config;
        this.manager = manager;
        this.byModule = Collections.unmodifiableMap(byModule);
        this.parameters = parameters;
    }

    public static String aName(String module) {
        return module + ".lora_A.weight";
    }

    public static String bName(String module) {
        return module + ".lora_B.weight";
    }

    public String name() {
        return config.name();
    }

    public LoraConfig config() {
        return config;
    }

    public int rank() {
        return config.rank();
    }

    public double alpha() {
        return config.alpha();
    }

    public NDManager manager() {
        return manager;
    }

    /** Target modules in model order. */
    public List<String> modules() {
        return List.copyOf(byModule.keySet());
    }

    public Pair pair(String module) {
        return byModule.get(module);
    }

    /** A and B of every module, in model order: the adapter's trainable parameters. */
    public NamedParameters parameters() {
        return parameters;
    }

    @Override
    public String toString() {
        return "LoRA '" + name() + "' rank " + rank() + " alpha " + alpha() + " on " + byModule.size() + " Linears ("
                + parameters.count() + " parameters)";
    }
}
