#!/usr/bin/env python3
"""A Flowlab-trained LoRA in diffusers: build the tiny Flux from the fixture folder, load the LoRA with
FluxPipeline.load_lora_weights (diffusers' own loader), run the fixture's set0 inputs, and compare with what
Flowlab computed with the same LoRA (`flowlab model forward --lora`).

    python3 tests/diffusers_lora_check.py FIXTURE_DIR LORA_FILE FLOWLAB_OUTPUTS
"""
import sys

import torch
from diffusers import FluxPipeline, FluxTransformer2DModel, FlowMatchEulerDiscreteScheduler
from safetensors.torch import load_file


def main(fixture, lora, flowlab_outputs):
    torch.manual_seed(0)
    transformer = FluxTransformer2DModel.from_pretrained(fixture, torch_dtype=torch.float32).eval()
    pipe = FluxPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=None, text_encoder=None, tokenizer=None,
                        text_encoder_2=None, tokenizer_2=None, transformer=transformer)
    pipe.load_lora_weights(lora)
    adapters = pipe.get_list_adapters()
    print("diffusers loaded adapters:", adapters)
    inputs = load_file(f"{fixture}/inputs.safetensors")
    s = {k[len("set0."):]: v for k, v in inputs.items() if k.startswith("set0.")}
    with torch.no_grad():
        sample = pipe.transformer(hidden_states=s["hidden_states"], encoder_hidden_states=s["encoder_hidden_states"],
                                  pooled_projections=s["pooled_projections"], timestep=s["timestep"],
                                  img_ids=s["img_ids"], txt_ids=s["txt_ids"], guidance=s["guidance"],
                                  return_dict=True).sample
        pipe.unload_lora_weights()
        base = pipe.transformer(hidden_states=s["hidden_states"], encoder_hidden_states=s["encoder_hidden_states"],
                                pooled_projections=s["pooled_projections"], timestep=s["timestep"],
                                img_ids=s["img_ids"], txt_ids=s["txt_ids"], guidance=s["guidance"],
                                return_dict=True).sample
    flowlab = load_file(flowlab_outputs)["sample"]
    diff = (sample - flowlab).abs().max().item()
    effect = (sample - base).abs().max().item()
    print(f"max |diffusers - flowlab| = {diff:.3g}; the LoRA moves diffusers' output by up to {effect:.3g}")
    if effect < 1e-3:
        sys.exit("the LoRA changed nothing in diffusers: it was not applied")
    if diff > 1e-4:
        sys.exit(f"diffusers and Flowlab disagree by {diff:.3g} (> 1e-4)")
    print("ok: diffusers loads Flowlab's LoRA and computes what Flowlab computes")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
