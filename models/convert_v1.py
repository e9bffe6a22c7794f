#!/usr/bin/env python3
"""Converts a Flowlab toy file of the first layout (one network, toy module names) to the current one.

    python3 models/convert_v1.py OLD.safetensors NEW.safetensors

The toy model's tensors are split into components and renamed as diffusers/transformers name them:
`blocks.N.attn.to_out` -> `transformer.transformer_blocks.N.attn.to_out.0`, `blocks.N.ff.fc1` ->
`transformer.transformer_blocks.N.ff.net.0.proj`, `text_encoder.layers.N.attn.to_q` ->
`text_encoder.text_model.encoder.layers.N.self_attn.q_proj`, ... A LoRA file gets the same names and a
`lora_adapter_metadata` with per-component keys (`transformer.r`, `text_encoder.lora_alpha`, ...), as diffusers
writes it. Tensor bytes are copied unchanged, so the converted model computes exactly what the old one did.
Standard library only.
"""
import json
import re
import struct
import sys

TEXT_LAYER = [  # (old, new) inside text_encoder.layers.N.
    ("norm1.", "layer_norm1."), ("norm2.", "layer_norm2."),
    ("attn.to_q", "self_attn.q_proj"), ("attn.to_k", "self_attn.k_proj"), ("attn.to_v", "self_attn.v_proj"),
    ("attn.to_out", "self_attn.out_proj"), ("attn.norm_q", "self_attn.norm_q"), ("attn.norm_k", "self_attn.norm_k"),
    ("mlp.", "mlp."),
]
BLOCK = [  # (old, new) inside blocks.N.
    ("attn.to_out", "attn.to_out.0"), ("attn.added.norm_k", "attn.norm_added_k"), ("ff.fc1", "ff.net.0.proj"),
    ("ff.fc2", "ff.net.2"), ("attn.", "attn."), ("norm1.", "norm1."),
]
TOP = [
    ("x_embedder.proj", "x_embedder"), ("time_embed.", "time_text_embed.timestep_embedder."),
    ("guidance_embed.", "time_text_embed.guidance_embedder."), ("pooled_embed.", "time_text_embed.text_embedder."),
    ("context_embedder", "context_embedder"), ("norm_out.", "norm_out."), ("proj_out", "proj_out"),
]


def replace_prefix(path, table):
    for old, new in table:
        if path.startswith(old):
            return new + path[len(old):]
    raise ValueError("no rule for " + path)


def rename(path):
    """Old dotted path (module or parameter) -> (component, new path); None for a tensor that is dropped."""
    if path.startswith("text_encoder."):
        rest = path[len("text_encoder."):]
        if rest == "position_embedding":
            return "text_encoder", "text_model.embeddings.position_embedding.weight"
        if rest.startswith("token_embedding"):
            return "text_encoder", "text_model.embeddings." + rest
        if rest.startswith("norm_out."):
            return "text_encoder", "text_model.final_layer_norm." + rest[len("norm_out."):]
        m = re.match(r"layers\.(\d+)\.(.*)", rest)
        return "text_encoder", "text_model.encoder.layers.%s.%s" % (m.group(1), replace_prefix(m.group(2), TEXT_LAYER))
    m = re.match(r"blocks\.(\d+)\.(.*)", path)
    if m:
        if m.group(2).startswith("attn.added.norm_q"):
            return None  # created but never read by the first layout's forward
        return "transformer", "transformer_blocks.%s.%s" % (m.group(1), replace_prefix(m.group(2), BLOCK))
    return "transformer", replace_prefix(path, TOP)


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return header.pop("__metadata__", {}), header, data


def write(path, metadata, tensors):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def main(src, dst):
    metadata, header, data = read(src)
    is_lora = metadata.get("lora_adapter_metadata") is not None
    if not is_lora and metadata.get("flowlab.model") != "ToyDiT":
        sys.exit("%s is neither a first-layout toy model nor a LoRA file" % src)
    tensors, modules = {}, {}
    for key, info in header.items():
        blob = data[info["data_offsets"][0]:info["data_offsets"][1]]
        if is_lora:
            body = key[len("transformer."):] if key.startswith("transformer.") else key
            module, suffix = re.match(r"(.*)(\.lora_[AB]\.weight)$", body).groups()
            component, new_module = rename(module)
            modules.setdefault(component, []).append(new_module)
            new_key = "%s.%s%s" % (component, new_module, suffix)
        else:
            renamed = rename(key)
            if renamed is None:
                continue
            new_key = "%s.%s" % renamed
        tensors[new_key] = (info["dtype"], info["shape"], blob)
    if is_lora:
        old = json.loads(metadata["lora_adapter_metadata"])
        peft = {}
        for component in modules:
            peft[component + ".r"] = old["r"]
            peft[component + ".lora_alpha"] = old["lora_alpha"]
            peft[component + ".target_modules"] = sorted(set(modules[component]))
            peft[component + ".init_lora_weights"] = old.get("init_lora_weights", "gaussian")
            peft[component + ".peft_type"] = "LORA"
        metadata["lora_adapter_metadata"] = json.dumps(peft, sort_keys=True)
    else:
        metadata["flowlab.model"] = "ToyModel"
    metadata["flowlab.converted_from"] = "first layout (models/convert_v1.py)"
    write(dst, metadata, tensors)
    print("%s -> %s: %d tensors" % (src, dst, len(tensors)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
