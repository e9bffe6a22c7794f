#!/usr/bin/env bash
# Builds DJL's PyTorch JNI (libdjl_torch.so) against another libtorch than the 2.7.1 its Maven jar is built for,
# for example the torch of a GPU machine's Python (2.11 + CUDA 13 on the device image).
#   tests/device/build_jni.sh DJL_SRC TORCH_DIR JNI_INCLUDE OUT_DIR
# DJL_SRC: DJL's sources at the tag of the DJL version in pom.xml (v0.36.0): engines/pytorch/pytorch-native/src,
#          api/src/main/native and engines/pytorch/pytorch-engine/src/main/java (tests/device/prepare.sh puts them
#          in build/device/djl). TORCH_DIR: a folder with include/ and lib/ (a pip torch's package folder).
# JNI_INCLUDE: a folder with jni.h, linux/jni_md.h and the generated ai_djl_pytorch_jni_PyTorchLibrary.h.
# Needs only g++ (no CMake package of torch, which asks for the CUDA toolkit). USE_CUDA stays off: DJL uses it only
# for a separate inference stream and emptyCache; CUDA tensors work through libtorch_cuda either way.
set -euo pipefail
SRC="$1"; TORCH="$2"; JNI="$3"; OUT="$4"
NATIVE="$SRC/engines/pytorch/pytorch-native/src/main/native"
mkdir -p "$OUT/obj"
jobs=$(nproc 2>/dev/null || echo 2)
flags=(-std=c++17 -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI=1 -w
  -I"$TORCH/include" -I"$TORCH/include/torch/csrc/api/include" -I"$JNI" -I"$JNI/linux" -I"$SRC/api/src/main/native")
pids=()
for cc in "$NATIVE"/*.cc; do
  o="$OUT/obj/$(basename "${cc%.cc}").o"
  g++ "${flags[@]}" -c "$cc" -o "$o" &
  pids+=($!)
  if (( ${#pids[@]} >= jobs )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
# link against torch_cpu and c10 only: the symbols DJL calls live there; libtorch_cuda is loaded beside it by DJL
g++ -shared -o "$OUT/libdjl_torch.so" "$OUT"/obj/*.o -L"$TORCH/lib" -ltorch_cpu -lc10 -Wl,--allow-shlib-undefined \
  -Wl,-rpath,'$ORIGIN'
echo "built $OUT/libdjl_torch.so against $(cat "$TORCH/version.py" 2>/dev/null | grep __version__ || echo "$TORCH")"
