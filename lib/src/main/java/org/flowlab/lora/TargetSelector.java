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
