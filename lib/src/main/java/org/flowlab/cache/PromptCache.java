package org.flowlab.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.flowlab.io.DType;
import org.flowlab.io.SafeTensors;
import org.flowlab.io.Tensor;
import org.flowlab.lora.Lora;
import org.flowlab.model.Conditioning;
import org.flowlab.model.Fingerprint;
import org.flowlab.model.NoGrad;
import org.flowlab.model.OwnedArrays;
import org.flowlab.model.PromptEncoder;
import org.flowlab.model.Shapes;
import org.flowlab.model.TextEncoder;

/**
 * A text encoder's conditioning on disk: one safetensors file per prompt, named by a hash of the prompt's text, in a
 * folder named by the encoder's {@link TextEncoder#fingerprint() fingerprint}. As a {@link PromptEncoder} it answers
 * from the files and runs the base encoder (no LoRA, no gradients) only for prompts it has not seen, writing each
 * new file atomically; so a second run on the same prompts never loads the encoder. Rows read once stay in memory.
 */
public final class PromptCache implements PromptEncoder {
    private static final int CHUNK = 16;

    private final Path dir;
    private final TextEncoder encoder;
    private final Map<String, Map<String, Tensor>> rows = new HashMap<>();
    private int encoded;

    private PromptCache(Path dir, TextEncoder encoder) {
        this.dir = dir;
        this.encoder = encoder;
    }

    /** The cache of {@code encoder}'s outputs under {@code root}: {@code root/<fingerprint>/}. */
    public static PromptCache at(Path root, TextEncoder encoder) {
        return new PromptCache(root.resolve(encoder.fingerprint()), encoder);
    }

    public Path directory() {
        return dir;
    }

    /** How many prompts this cache has run the encoder for (0 on a run whose prompts were all on disk). */
    public synchronized int encodedPrompts() {
        return encoded;
    }

    /** Whether every one of these prompts' conditioning is on disk (or in memory): encoding them runs no encoder. */
    public synchronized boolean holds(List<String> prompts) {
        return prompts.stream().allMatch(p -> row(p) != null);
    }

    /** Encodes and stores the prompts not held yet, in batches of 16. */
    public synchronized void fill(List<String> prompts, NDManager parent) {
        List<String> missing = new ArrayList<>();
        for (String p : new LinkedHashSet<>(prompts)) {
            if (row(p) == null) {
                missing.add(p);
            }
        }
        for (int from = 0; from < missing.size(); from += CHUNK) {
            List<String> chunk = missing.subList(from, Math.min(missing.size(), from + CHUNK));
            try (NDManager m = parent.newSubManager(); NoGrad ng = NoGrad.enter();
                 Lora.Scope base = Lora.of(encoder).useBase()) {
                Conditioning c = encoder.encode(chunk, m);
                for (int i = 0; i < chunk.size(); i++) {
                    Map<String, Tensor> row = new LinkedHashMap<>();
                    for (Map.Entry<String, NDArray> t : c.tensors().entrySet()) {
                        NDArray r = t.getValue().get(i);
                        row.put(t.getKey(), new Tensor(r.getShape().getShape(), r.toFloatArray()));
                    }
                    write(chunk.get(i), row);
                    rows.put(chunk.get(i), row);
                }
            }
            encoded += chunk.size();
        }
    }

    /** The prompts' conditioning stacked into one batch, encoding only those not held yet. */
    @Override
    public synchronized Conditioning encode(List<String> prompts, NDManager manager) {
        fill(prompts, manager);
        List<Map<String, Tensor>> batch = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            batch.add(row(p));
        }
        Map<String, NDArray> t = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> first : batch.get(0).entrySet()) {
            int per = first.getValue().data().length;
            float[] data = new float[per * batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(batch.get(i).get(first.getKey()).data(), 0, data, i * per, per);
            }
            t.put(first.getKey(), OwnedArrays.create(manager, data,
                    new ai.djl.ndarray.types.Shape(Shapes.batched(batch.size(), first.getValue().shape()))));
        }
        return Conditioning.of(prompts, t);
    }

    /** Where a prompt's conditioning lives. */
    public Path file(String prompt) {
        return dir.resolve(Fingerprint.of("prompt").add(prompt).hex() + ".safetensors");
    }

    /** A prompt's row from memory or disk; null when absent, unreadable or another prompt's (a hash collision). */
    private Map<String, Tensor> row(String prompt) {
        Map<String, Tensor> known = rows.get(prompt);
        if (known != null) {
            return known;
        }
        Path f = file(prompt);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            SafeTensors.Contents c = SafeTensors.read(f);
            if (!prompt.equals(c.metadata().get("prompt"))) {
                return null;
            }
            rows.put(prompt, c.tensors());
            return c.tensors();
        } catch (IOException | RuntimeException e) {
            return null; // a damaged file is encoded again and replaced
        }
    }

    private void write(String prompt, Map<String, Tensor> row) {
        try {
            Files.createDirectories(dir);
            SafeTensors.write(file(prompt), row, Map.of("prompt", prompt), DType.F32);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the prompt cache in " + dir + ": " + e.getMessage(), e);
        }
    }
}
