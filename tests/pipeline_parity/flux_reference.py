"""Runs diffusers' own FluxPipeline on the tiny Flux folder the Java tests build, and records noise and outputs.

    tests/.venv/bin/python tests/pipeline_parity/flux_reference.py lib/src/test/resources/pipeline-parity/flux.safetensors

The folder is assembled exactly as lib's TinyPipelines.flux does (fixture transformer, 4-channel VAE with Flux's
scaling/shift factors, CLIP, T5, the fixture tokenizers, Flux-dev's scheduler config). The pipeline is given the
initial latents, so both sides start from the same noise; it runs at 16x16 px, 4 steps, guidance 3.5,
max_sequence_length 12.
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
from diffusers import FluxPipeline
from safetensors.torch import save_file

RES = Path(__file__).resolve().parents[2] / "lib/src/test/resources"
PROMPTS = ["a red circle on a blue background", "A Photo of  a CAT's mat!!"]
STEPS, SIZE, GUIDANCE, MAX_SEQ = 4, 16, 3.5, 12


def folder(root: Path) -> Path:
    def copy(src, dst, *names):
        (root / dst).mkdir(parents=True, exist_ok=True)
        for n in names:
            shutil.copy(RES / src / n, root / dst / n)
    copy("diffusers-parity/flux_transformer", "transformer", "config.json", "diffusion_pytorch_model.safetensors")
    copy("diffusers-parity/vae_kl_4ch", "vae", "config.json", "diffusion_pytorch_model.safetensors")
    vae = root / "vae/config.json"
    vae.write_text(vae.read_text().replace('"scaling_factor": 0.18215', '"scaling_factor": 0.3611')
                   .replace('"shift_factor": null', '"shift_factor": 0.1159'))
    copy("diffusers-parity/clip_text_model", "text_encoder", "config.json", "model.safetensors")
    copy("diffusers-parity/t5_encoder_model", "text_encoder_2", "config.json", "model.safetensors")
    copy("tokenizers/clip", "tokenizer", "vocab.json", "merges.txt", "tokenizer_config.json")
    copy("tokenizers/t5", "tokenizer_2", "tokenizer.json", "tokenizer_config.json")
    (root / "scheduler").mkdir()
    (root / "scheduler/scheduler_config.json").write_text(json.dumps({
        "_class_name": "FlowMatchEulerDiscreteScheduler", "base_image_seq_len": 256, "base_shift": 0.5,
        "max_image_seq_len": 4096, "max_shift": 1.15, "num_train_timesteps": 1000, "shift": 3.0,
        "use_dynamic_shifting": True}))
    (root / "model_index.json").write_text(json.dumps({
        "_class_name": "FluxPipeline", "_diffusers_version": "0.42.1",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"], "text_encoder_2": ["transformers", "T5EncoderModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "T5TokenizerFast"],
        "transformer": ["diffusers", "FluxTransformer2DModel"], "vae": ["diffusers", "AutoencoderKL"]}))
    return root


def main(out):
    with tempfile.TemporaryDirectory() as tmp:
        pipe = FluxPipeline.from_pretrained(folder(Path(tmp) / "tiny-flux"), torch_dtype=torch.float32)
        c = pipe.transformer.config.in_channels // 4
        h = w = 2 * (SIZE // (pipe.vae_scale_factor * 2))
        noise = torch.randn(len(PROMPTS), c, h, w, generator=torch.Generator().manual_seed(0))
        packed = pipe._pack_latents(noise, len(PROMPTS), c, h, w)
        common = dict(prompt=PROMPTS, height=SIZE, width=SIZE, num_inference_steps=STEPS, guidance_scale=GUIDANCE,
                      max_sequence_length=MAX_SEQ)
        latents = pipe(latents=packed.clone(), output_type="latent", **common).images
        latents = pipe._unpack_latents(latents, SIZE, SIZE, pipe.vae_scale_factor)
        image = pipe(latents=packed.clone(), output_type="pt", **common).images  # [0, 1]
        prompt_embeds, pooled, _ = pipe.encode_prompt(PROMPTS, PROMPTS, max_sequence_length=MAX_SEQ)
    save_file({"noise": noise.contiguous(), "latents": latents.contiguous(), "image": image.contiguous() * 2 - 1,
               "encoder_hidden_states": prompt_embeds.contiguous(), "pooled_projections": pooled.contiguous()}, out,
              metadata={"prompts": json.dumps(PROMPTS), "steps": str(STEPS), "size": str(SIZE),
                        "guidance": str(GUIDANCE), "max_sequence_length": str(MAX_SEQ)})


if __name__ == "__main__":
    main(sys.argv[1])
