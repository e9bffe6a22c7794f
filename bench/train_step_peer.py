#!/usr/bin/env python3
"""The toy teacher's train step in Python PyTorch: the peer `./flowlab bench train` runs beside its own step.

The network is org.flowlab.toy.ToyDiT at DiTConfig.toy()'s shape (32x32x3, patch 4, depth 4, MLP ratio 4, a 2-layer
text encoder of width 64 over 16 tokens of a 36-word vocabulary, QK RMS-norm, adaLN-Zero, added text keys/values) at
any width (heads of 32 channels); its parameter count, which Flowlab checks against its own, comes back with the
timing. One step is the same work: forward at logit-normal sigmas, MSE to noise - x0, backward, gradient clipping
at 1.0, AdamW, on batches drawn from a fixed pool so data rendering is not timed. One run prints one JSON line:

    bench/.venv/bin/python bench/train_step_peer.py --width 128 --batch 64 --threads 2 [--steps 20] [--warmup 5]

The peer runs under the libtorch tuning the launcher gives Flowlab (ATEN_CPU_CAPABILITY, GLIBC_TUNABLES): the script
re-starts itself with them when they are missing. bench/make_peer_env.sh makes the venv (torch 2.7.1, DJL's libtorch).
"""
import argparse
import math
import os
import json
import statistics
import sys
import time

LAUNCHER_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296"
                      ":glibc.malloc.top_pad=268435456",
}
if __name__ == "__main__" and any(k not in os.environ for k in LAUNCHER_ENV):
    os.execve(sys.executable, [sys.executable] + sys.argv, {**LAUNCHER_ENV, **os.environ})

import torch  # noqa: E402 (after the environment is in place)
import torch.nn as nn
import torch.nn.functional as F

VOCAB, TEXT_LEN = 36, 16
C, SIZE, PATCH, D, DEPTH, HEADS, MLP, E, TEXT_DEPTH, TEXT_HEADS = 3, 32, 4, 128, 4, 4, 4, 64, 2, 4  # D, HEADS: --width
FREQ = 128


def rms_per_head(x, gain, heads):
    b, t, d = x.shape
    h = x.view(b, t, heads, d // heads)
    h = h / (h.square().mean(-1, keepdim=True) + 1e-6).sqrt()
    return (h * gain).view(b, t, d)


def attention(q, k, v, heads):
    b, tq, d = q.shape
    tk, dh = k.shape[1], d // heads
    qh = q.view(b, tq, heads, dh).transpose(1, 2)
    kh = k.view(b, tk, heads, dh).permute(0, 2, 3, 1)
    vh = v.view(b, tk, heads, dh).transpose(1, 2)
    w = (qh @ kh * (1 / math.sqrt(dh))).softmax(-1)
    return (w @ vh).transpose(1, 2).reshape(b, tq, d)


class QkNorm(nn.Module):
    def __init__(self, dh):
        super().__init__()
        self.norm_q = nn.Parameter(torch.ones(dh))
        self.norm_k = nn.Parameter(torch.ones(dh))


class TextLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(E, eps=1e-6), nn.LayerNorm(E, eps=1e-6)
        self.q, self.k, self.v, self.out = (nn.Linear(E, E) for _ in range(4))
        self.qk = QkNorm(E // TEXT_HEADS)
        self.fc1, self.fc2 = nn.Linear(E, E * MLP), nn.Linear(E * MLP, E)

    def forward(self, t):
        n1 = self.norm1(t)
        t = t + self.out(attention(rms_per_head(self.q(n1), self.qk.norm_q, TEXT_HEADS),
                                   rms_per_head(self.k(n1), self.qk.norm_k, TEXT_HEADS), self.v(n1), TEXT_HEADS))
        return t + self.fc2(F.gelu(self.fc1(self.norm2(t))))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.modulation = nn.Linear(D, 6 * D)
        self.q, self.k, self.v, self.add_k, self.add_v, self.out = (nn.Linear(D, D) for _ in range(6))
        self.qk = QkNorm(D // HEADS)
        self.norm_added_k = nn.Parameter(torch.ones(D // HEADS))  # the text keys' RMS gain (attn.norm_added_k)
        self.fc1, self.fc2 = nn.Linear(D, D * MLP), nn.Linear(D * MLP, D)

    def forward(self, h, silu_c, text):
        s1, g1, a1, s2, g2, a2 = self.modulation(silu_c).unsqueeze(1).chunk(6, 2)
        x = F.layer_norm(h, (D,), eps=1e-6) * (1 + g1) + s1
        q = rms_per_head(self.q(x), self.qk.norm_q, HEADS)
        k = torch.cat([rms_per_head(self.add_k(text), self.norm_added_k, HEADS),
                       rms_per_head(self.k(x), self.qk.norm_k, HEADS)], 1)
        v = torch.cat([self.add_v(text), self.v(x)], 1)
        h = h + a1 * self.out(attention(q, k, v, HEADS))
        m = F.layer_norm(h, (D,), eps=1e-6) * (1 + g2) + s2
        return h + a2 * self.fc2(F.gelu(self.fc1(m)))


class ToyDiT(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Parameter(torch.randn(VOCAB, E) * 0.02)
        self.text_positions = nn.Parameter(torch.randn(TEXT_LEN, E) * 0.02)
        self.text_layers = nn.ModuleList(TextLayer() for _ in range(TEXT_DEPTH))
        self.text_norm = nn.LayerNorm(E, eps=1e-6)
        self.x_embedder = nn.Linear(PATCH * PATCH * C, D)
        self.time1, self.time2 = nn.Linear(2 * FREQ, D), nn.Linear(D, D)
        self.pooled1, self.pooled2 = nn.Linear(E, D), nn.Linear(D, D)
        self.context_embedder = nn.Linear(E, D)
        self.blocks = nn.ModuleList(Block() for _ in range(DEPTH))
        self.norm_out, self.proj_out = nn.Linear(D, 2 * D), nn.Linear(D, PATCH * PATCH * C)
        g = SIZE // PATCH
        self.register_buffer("positions", torch.randn(1, g * g, D), persistent=False)  # a constant, as in Flowlab
        self.register_buffer("freq", torch.exp(-math.log(10000) * torch.arange(FREQ) / FREQ), persistent=False)

    def forward(self, x, sigma, tokens):
        b, g = x.shape[0], SIZE // PATCH
        t = F.one_hot(tokens, VOCAB).float() @ self.token_embedding + self.text_positions
        for layer in self.text_layers:
            t = layer(t)
        ctx = self.text_norm(t)
        args = (sigma * 1000).unsqueeze(1) * self.freq
        c = self.time2(F.silu(self.time1(torch.cat([args.cos(), args.sin()], 1))))
        c = c + self.pooled2(F.silu(self.pooled1(ctx.mean(1))))
        silu_c, text = F.silu(c), self.context_embedder(ctx)
        patches = x.reshape(b, C, g, PATCH, g, PATCH).permute(0, 2, 4, 3, 5, 1).reshape(b, g * g, PATCH * PATCH * C)
        h = self.x_embedder(patches) + self.positions
        for block in self.blocks:
            h = block(h, silu_c, text)
        shift, scale = self.norm_out(silu_c).unsqueeze(1).chunk(2, 2)
        out = self.proj_out(F.layer_norm(h, (D,), eps=1e-6) * (1 + scale) + shift)
        return out.reshape(b, g, g, PATCH, PATCH, C).permute(0, 5, 1, 3, 2, 4).reshape(b, C, SIZE, SIZE)


def peer_step_ms(batch, steps, warmup):
    torch.manual_seed(1)
    model = ToyDiT()
    opt = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.999), weight_decay=0.0, eps=1e-8)
    pool_x = torch.rand(256, C, SIZE, SIZE) * 2 - 1
    pool_t = torch.randint(3, VOCAB, (256, TEXT_LEN))
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        idx = torch.randint(0, 256, (batch,))
        x0, tokens = pool_x[idx], pool_t[idx]
        noise = torch.randn_like(x0)
        sigma = torch.sigmoid(torch.randn(batch))
        s = sigma.view(-1, 1, 1, 1)
        loss = F.mse_loss(model((1 - s) * x0 + s * noise, sigma, tokens), noise - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return sum(p.numel() for p in model.parameters()), times


def main():
    global D, HEADS
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    if a.width < 32 or a.width % 32:
        sys.exit(f"--width {a.width} must be a multiple of 32 (heads of 32 channels)")
    D, HEADS = a.width, a.width // 32
    torch.set_num_threads(a.threads)
    params, times = peer_step_ms(a.batch, a.steps, a.warmup)
    print(json.dumps({"params": params, "median_ms": statistics.median(times), "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
