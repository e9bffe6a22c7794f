#!/usr/bin/env bash
# Flowlab on a GPU: parity with diffusers' fixtures at fp32 and fp16 on the GPU, then 20 Glance and 20 SCFM steps of
# a mid-size random Flux (4 double + 8 single blocks, width 1024, 1024 px) at fp32 and fp16, printing it/s and peak
# GPU memory. Meant for a lent GPU machine with Python's torch but no JDK, Maven or network (under 8 minutes there):
#
#   here:     tests/device/prepare.sh             -> build/device/bundle.tar.xz (Java runtime, classes, DJL JNI sources)
#   there:    tests/device_check.sh               (the working tree plus build/device, carried)
#   rehearse: tests/device_check.sh --rehearse [--bundle] [--torch DIR]   the same steps here on the CPU at toy sizes:
#             with this machine's Java and jars, or --bundle with the bundle's; --torch DIR also builds DJL's JNI
#             against that libtorch (a folder with include/, lib/, version.py) and runs on it (tests/device/README.md)
#
# The report goes to $OUT/device-check.md (OUT is set by the device runner; else build/device-out).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE=device
BUNDLE=0
TORCH_DIR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rehearse) MODE=rehearse; shift ;;
    --bundle) BUNDLE=1; shift ;;
    --torch) TORCH_DIR="$2"; shift 2 ;;
    *) echo "device_check: unknown argument $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$ROOT/build/device-out}"
mkdir -p "$OUT"
REPORT="$OUT/device-check.md"
WORK="$(mktemp -d /tmp/flowlab-device.XXXXXX)"
SMI_PID=""
trap '[[ -n "$SMI_PID" ]] && kill "$SMI_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
say() { echo "$*" | tee -a "$REPORT"; }
: > "$REPORT"

DJL_VERSION=0.36.0
if [[ $MODE == device || $BUNDLE == 1 ]]; then
  [[ -f "$ROOT/build/device/bundle.tar.xz" ]] || { echo "device_check: no build/device/bundle.tar.xz; run tests/device/prepare.sh first" >&2; exit 2; }
  tar -C "$WORK" -xJf "$ROOT/build/device/bundle.tar.xz"
  JAVA="$WORK/jre/bin/java"
  CP="$WORK/lib/*:$ROOT/lib/src/test/resources"
fi
if [[ $MODE == device ]]; then
  DEVICE=cuda
  TORCH_DIR="${TORCH_DIR:-$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')}"
  SIZES=(--double 4 --single 8 --heads 8 --image-size 1024x1024 --steps 20 --warmup 3 --scfm-batch 4)
elif [[ $BUNDLE == 1 ]]; then
  DEVICE=cpu
  SIZES=(--double 1 --single 1 --heads 2 --image-size 64x64 --text-length 16 --steps 2 --warmup 1 --scfm-batch 2)
else
  [[ -f "$ROOT/kernel-ext/target/classpath.txt" && -d "$ROOT/lib/target/test-classes" ]] \
    || (cd "$ROOT" && mvn -B -q -DskipTests package >&2)
  JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  CP="$ROOT/kernel-ext/target/flowlab.jar:$(cat "$ROOT/kernel-ext/target/classpath.txt"):$ROOT/lib/target/test-classes"
  CP="$CP:$(ls ~/.m2/repository/org/junit/platform/junit-platform-console-standalone/*/junit-platform-console-standalone-*.jar | tail -1)"
  DEVICE=cpu
  SIZES=(--double 1 --single 1 --heads 2 --image-size 64x64 --text-length 16 --steps 2 --warmup 1 --scfm-batch 2)
fi

say "# Flowlab device check, $(date -u +%Y-%m-%dT%H:%MZ) ($MODE)"
say ""
if [[ -n "$TORCH_DIR" ]]; then
  # DJL's JNI is built for libtorch 2.7.1; build it against this torch and put it where DJL looks first
  TV="$(sed -n "s/^__version__ = '\([0-9.]*\).*/\1/p" "$TORCH_DIR/version.py")"
  CUDA_V="$(sed -n "s/^cuda: .* = '\([0-9.]*\)'.*/\1/p" "$TORCH_DIR/version.py")"
  FLAVOR="${FLAVOR:-$([[ -n "$CUDA_V" && $DEVICE == cuda ]] && echo "cu${CUDA_V//./}" || echo cpu)}"
  if [[ $MODE == device || $BUNDLE == 1 ]]; then
    SRC="$WORK/djl"
  else
    SRC="$ROOT/build/device/stage/djl"
    [[ -d "$SRC" ]] || { echo "device_check: --torch needs tests/device/prepare.sh's DJL sources in $SRC" >&2; exit 2; }
  fi
  t0=$SECONDS
  "$ROOT/tests/device/build_jni.sh" "$SRC" "$TORCH_DIR" "$SRC/jni" "$WORK/jni" >"$OUT/jni-build.log" 2>&1 \
    || { tail -30 "$OUT/jni-build.log" >&2; echo "device_check: the JNI does not build against $TORCH_DIR" >&2; exit 1; }
  export DJL_CACHE_DIR="$WORK/djl-cache"
  mkdir -p "$DJL_CACHE_DIR/pytorch/$TV-$FLAVOR-linux-x86_64"
  cp "$WORK/jni/libdjl_torch.so" "$DJL_CACHE_DIR/pytorch/$TV-$FLAVOR-linux-x86_64/$DJL_VERSION-libdjl_torch.so"
  export PYTORCH_LIBRARY_PATH="${PYTORCH_LIBRARY_PATH:-$TORCH_DIR/lib}" PYTORCH_VERSION="$TV" PYTORCH_FLAVOR="$FLAVOR"
  say "- libtorch $TV ($FLAVOR) from $PYTORCH_LIBRARY_PATH; DJL $DJL_VERSION's JNI built against it in $((SECONDS - t0)) s"
fi
say "- Java: $("$JAVA" -version 2>&1 | head -1)"

if [[ $DEVICE == cuda ]] && command -v nvidia-smi >/dev/null; then
  say "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/gpu-memory.csv" 2>/dev/null &
  SMI_PID=$!
fi
JVM=(-Djava.awt.headless=true -Xss4m)

say ""
say "## Parity with diffusers (the CI fixtures, on $DEVICE; fp16 tests compare fp16 compute with diffusers' fp32 output)"
t0=$SECONDS
set +e
(cd "$ROOT/lib" && "$JAVA" "${JVM[@]}" "-Dflowlab.test.device=$DEVICE" -cp "$CP" org.junit.platform.console.ConsoleLauncher \
  execute --disable-banner --details=tree --select-class org.flowlab.diffusers.FluxParityTest \
  --select-class org.flowlab.diffusers.SD3ParityTest --select-class org.flowlab.diffusers.AutoencoderKLParityTest \
  --select-class org.flowlab.diffusers.CLIPParityTest --select-class org.flowlab.diffusers.T5ParityTest) \
  > "$OUT/parity.log" 2>&1
PARITY=$?
set -e
grep -E "max abs error|tests (successful|failed)" "$OUT/parity.log" | sed 's/^ */    /' | tee -a "$REPORT"
say "parity: $([[ $PARITY == 0 ]] && echo passed || echo "FAILED (see parity.log)") in $((SECONDS - t0)) s"

for dtype in fp32 fp16; do
  say ""
  say "## Random Flux, $dtype"
  t0=$SECONDS
  "$JAVA" "${JVM[@]}" -cp "$CP" org.flowlab.cli.FlowlabCli bench flux --device "$DEVICE" --dtype "$dtype" "${SIZES[@]}" \
    2> "$OUT/bench-$dtype.log" | tee -a "$REPORT"
  say "($((SECONDS - t0)) s)"
done

if [[ -n "$SMI_PID" ]]; then
  kill "$SMI_PID" 2>/dev/null || true
  SMI_PID=""
  say ""
  say "- peak GPU memory in use over the whole check (nvidia-smi, every 200 ms): $(sort -n "$OUT/gpu-memory.csv" | tail -1) MiB"
fi
exit $PARITY
