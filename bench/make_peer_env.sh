#!/usr/bin/env bash
# The benchmarks' peer: Python PyTorch at DJL's own libtorch version (2.7.1), and diffusers for the Flux rows, in
# bench/.venv. PyPI's torch 2.7.1 for Linux is the CUDA build (about 5 GB with its nvidia-* wheels; the CPU path is
# what the benchmarks time). Benchmarks only: CI never makes it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-python3}"
[[ -x "$HERE/.venv/bin/python" ]] || "$PY" -m venv "$HERE/.venv"
"$HERE/.venv/bin/pip" install -q torch==2.7.1 diffusers==0.35.1 transformers safetensors
"$HERE/.venv/bin/python" -c "import torch; print('peer ready: torch', torch.__version__)"
