package org.flowlab.lora;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Which Linears get LoRA, by dotted module name (as PEFT's {@code target_modules}). */
public sealed interface TargetSelector {

    boolean matches(String moduleName);

    /** Every Linear of the model (SCFM's choice: embedders, modulation, attention, MLPs, projections). */
    static TargetSelector all() {
        return new All();
    }

    /** Exactly these module names. */
    static TargetSelector exact(String... names) {
        return new Exact(Set.of(names));
    }

    /** Names ending in one of these dotted suffixes, e.g. {@code "to_q"} matches {@code blocks.0.attn.to_q}. */
    static TargetSelector suffix(String... suffixes) {
        return new Suffix(List.of(suffixes));
    }

    /** Names matching this regular expression in full. */
    static TargetSelector regex(String pattern) {
        return new Regex(Pattern.compile(pattern));
    }

    /** Glance's official Flux targets (DIFFUSERS.md): the attention projections {@code to_q, to_k, to_v, to_out.0}. */
    static TargetSelector glanceFlux() {
        return suffix("attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0");
    }

    /**
     * Glance's official Qwen-Image targets: the attention projections, the added (text) projections, the MLPs and
     * the modulation Linears.
     */
    static TargetSelector glanceQwen() {
        return regex(".*(attn\\.(to_q|to_k|to_v|to_out\\.0|add_q_proj|add_k_proj|add_v_proj|to_add_out)"
                + "|img_mlp\\.net\\.(0\\.proj|2)|txt_mlp\\.net\\.(0\\.proj|2)|img_mod\\.1|txt_mod\\.1)");
    }

    /** SCFM's released choice: every Linear of the transformer (embedders, modulation, attention, MLPs, projections). */
    static TargetSelector scfm() {
        return all();
    }

    /** A target set by its name: glance-flux, glance-qwen, scfm or all; anything else is read as a regular expression. */
    static TargetSelector named(String name) {
        return switch (name) {
            case "glance-flux" -> glanceFlux();
            case "glance-qwen" -> glanceQwen();
            case "scfm", "all" -> all();
            default -> regex(name);
        };
    }

    record All() implements TargetSelector {
        @Override
        public boolean matches(String moduleName) {
            return true;
        }

        @Override
        public String toString() {
            return "all Linears";
        }
    }

    record Exact(Set<String> names) implements TargetSelector {
        @Override
        public boolean matches(String moduleName) {
            return names.contains(moduleName);
        }
    }

    record Suffix(List<String> suffixes) implements TargetSelector {
        @Override
        public boolean matches(String moduleName) {
            for (String s : suffixes) {
                if (moduleName.equals(s) || moduleName.endsWith("." + s)) {
                    return true;
                }
            }
            return false;
        }
    }

    record Regex(Pattern pattern) implements TargetSelector {
        @Override
        public boolean matches(String moduleName) {
            return pattern.matcher(moduleName).matches();
        }

        @Override
        public String toString() {
            return "regex " + pattern.pattern();
        }
    }
}
