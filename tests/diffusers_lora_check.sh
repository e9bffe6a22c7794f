#!/usr/bin/env bash
# Does diffusers load a LoRA that Flowlab trained, and compute what Flowlab computes with it?
#   tests/diffusers_lora_check.sh
# Trains a Glance LoRA on the tiny diffusers Flux fixture with Flowlab, loads it with diffusers' load_lora_weights,
# and compares both outputs on the fixture's inputs. Installs torch==2.7.1 (DJL's libtorch version) and diffusers into
# tests/.venv on first use (several GB from PyPI, ~5 minutes): not part of CI.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/tests/.venv"
FIXTURE="$ROOT/lib/src/test/resources/diffusers-parity/flux_transformer"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

if ! "$VENV/bin/python" -c "import torch, diffusers, peft" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q torch==2.7.1 diffusers transformers peft accelerate safetensors
fi
"$ROOT/flowlab" --version >/dev/null  # builds Flowlab when needed
CP="$ROOT/kernel-ext/target/flowlab.jar:$(cat "$ROOT/kernel-ext/target/classpath.txt")"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
start=$(date +%s)
"$JAVA" -cp "$CP" "$ROOT/tests/diffusers_lora_check/TrainTinyFluxLora.java" "$FIXTURE" "$OUT/lora.safetensors"
"$ROOT/flowlab" model forward --model "$FIXTURE" --inputs "$FIXTURE/inputs.safetensors" --set set0 \
  --lora "$OUT/lora.safetensors" --out "$OUT/flowlab.safetensors"
"$VENV/bin/python" "$ROOT/tests/diffusers_lora_check.py" "$FIXTURE" "$OUT/lora.safetensors" "$OUT/flowlab.safetensors"
echo "diffusers_lora_check: $(( $(date +%s) - start )) s (after installs)"
