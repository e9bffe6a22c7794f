"""Runs diffusers' own StableDiffusion3Pipeline on a tiny SD3 folder, and records its new parts, noise and outputs.

    tests/.venv/bin/python tests/pipeline_parity/sd3_reference.py lib/src/test/resources/pipeline-parity

The fixture SD3 transformer takes pooled 64 and joint_attention_dim 32, so this script makes two random
CLIPTextModelWithProjection (hidden 16, projection 32: CLIP-L and CLIP-G, whose penultimate states concatenate to 32
and whose text_embeds concatenate to 64) and writes them to sd3/text_encoder and sd3/text_encoder_2. The rest is
copied from the fixtures: T5 (d_model 32), the 4-channel VAE with SD3's scaling/shift factors, the tokenizer
fixtures (CLIP-L pads with <|endoftext|>, CLIP-G with "!"), SD3's scheduler config (static shift 3).
Writes sd3.safetensors: given initial latents, 4 steps, true CFG 3.0 with empty negative prompts, 16x16 px,
max_sequence_length 12: the prompt embeddings, the final latents and the image in [-1, 1].
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
from diffusers import StableDiffusion3Pipeline
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModelWithProjection

RES = Path(__file__).resolve().parents[2] / "lib/src/test/resources"
PROMPTS = ["a red circle on a blue background", "A Photo of  a CAT's mat!!"]
STEPS, SIZE, CFG, MAX_SEQ = 4, 16, 3.0, 12


def text_encoders(out: Path):
    for i, name in enumerate(["text_encoder", "text_encoder_2"]):
        torch.manual_seed(10 + i)
        config = CLIPTextConfig(vocab_size=600, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                num_attention_heads=2, max_position_embeddings=77, projection_dim=32,
                                bos_token_id=572, eos_token_id=573, pad_token_id=0 if i else 573)
        model = CLIPTextModelWithProjection(config)
        with torch.no_grad():  # visible weights: the default init leaves the projection tiny
            for p in model.parameters():
                p.normal_(0, 0.3) if p.dim() > 1 else None
        model.save_pretrained(out / name, safe_serialization=True)


def folder(root: Path) -> Path:
    def copy(src, dst, *names):
        (root / dst).mkdir(parents=True, exist_ok=True)
        for n in names:
            shutil.copy(RES / src / n, root / dst / n)
    copy("diffusers-parity/sd3_transformer", "transformer", "config.json", "diffusion_pytorch_model.safetensors")
    copy("diffusers-parity/vae_kl_4ch", "vae", "config.json", "diffusion_pytorch_model.safetensors")
    vae = root / "vae/config.json"
    vae.write_text(vae.read_text().replace('"scaling_factor": 0.18215', '"scaling_factor": 1.5305')
                   .replace('"shift_factor": null', '"shift_factor": 0.0609'))
    for name in ["text_encoder", "text_encoder_2"]:
        copy(f"pipeline-parity/sd3/{name}", name, "config.json", "model.safetensors")
    copy("diffusers-parity/t5_encoder_model", "text_encoder_3", "config.json", "model.safetensors")
    copy("tokenizers/clip", "tokenizer", "vocab.json", "merges.txt", "tokenizer_config.json")
    tc = root / "tokenizer/tokenizer_config.json"
    tc.write_text(tc.read_text().replace('"pad_token": "!"', '"pad_token": "<|endoftext|>"'))
    copy("tokenizers/clip", "tokenizer_2", "vocab.json", "merges.txt", "tokenizer_config.json")
    copy("tokenizers/t5", "tokenizer_3", "tokenizer.json", "tokenizer_config.json")
    (root / "scheduler").mkdir()
    (root / "scheduler/scheduler_config.json").write_text(json.dumps({
        "_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0}))
    (root / "model_index.json").write_text(json.dumps({
        "_class_name": "StableDiffusion3Pipeline", "_diffusers_version": "0.42.1",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModelWithProjection"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "text_encoder_3": ["transformers", "T5EncoderModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "tokenizer_3": ["transformers", "T5TokenizerFast"],
        "transformer": ["diffusers", "SD3Transformer2DModel"], "vae": ["diffusers", "AutoencoderKL"],
        "image_encoder": [None, None], "feature_extractor": [None, None]}))
    return root


def main(out_dir):
    out_dir = Path(out_dir)
    text_encoders(out_dir / "sd3")
    with tempfile.TemporaryDirectory() as tmp:
        pipe = StableDiffusion3Pipeline.from_pretrained(folder(Path(tmp) / "tiny-sd3"), torch_dtype=torch.float32)
        c = pipe.transformer.config.in_channels
        h = w = SIZE // pipe.vae_scale_factor
        noise = torch.randn(len(PROMPTS), c, h, w, generator=torch.Generator().manual_seed(0))
        common = dict(prompt=PROMPTS, height=SIZE, width=SIZE, num_inference_steps=STEPS, guidance_scale=CFG,
                      max_sequence_length=MAX_SEQ)
        latents = pipe(latents=noise.clone(), output_type="latent", **common).images
        image = pipe(latents=noise.clone(), output_type="pt", **common).images
        embeds, negative, pooled, negative_pooled = pipe.encode_prompt(PROMPTS, PROMPTS, PROMPTS,
                                                                       max_sequence_length=MAX_SEQ)
    save_file({"noise": noise.contiguous(), "latents": latents.contiguous(), "image": image.contiguous() * 2 - 1,
               "encoder_hidden_states": embeds.contiguous(), "pooled_projections": pooled.contiguous(),
               "negative_encoder_hidden_states": negative.contiguous(),
               "negative_pooled_projections": negative_pooled.contiguous()}, str(out_dir / "sd3.safetensors"),
              metadata={"prompts": json.dumps(PROMPTS), "steps": str(STEPS), "size": str(SIZE), "cfg": str(CFG),
                        "max_sequence_length": str(MAX_SEQ)})


if __name__ == "__main__":
    main(sys.argv[1])
