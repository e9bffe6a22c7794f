#!/usr/bin/env bash
# Packs what tests/device_check.sh needs on a GPU machine that has Python's torch but no JDK, Maven or network, into
# build/device/bundle.tar.xz (about 40 MB; the device runner carries at most 64 MiB with the working tree):
#   jre/   a jlink-ed Java runtime with the modules the check loads
#   lib/   Flowlab's jars and test classes, DJL, the JUnit console; the large libraries cut to the classes the check
#          loads (found by running the check here with class-load logging)
#   djl/   DJL's PyTorch JNI sources at the DJL version in pom.xml, its generated header and jni.h, so the JNI can be
#          built there against that machine's libtorch (tests/device/build_jni.sh)
#
#   tests/device/prepare.sh [DJL_SOURCE_DIR]
# DJL_SOURCE_DIR: a checkout of github.com/deepjavalibrary/djl (any commit with the tag v0.36.0), or a folder with
# the tag's files; cloned into build/device/djl-src when not given. DEVICE_JDK: the JDK whose jlink makes the runtime
# (default: a Temurin under /usr/lib/jvm, whose runtime needs no system libraries beyond glibc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DJL_TAG=v0.36.0
B="$ROOT/build/device"
STAGE="$B/stage"
JDK="${DEVICE_JDK:-$(ls -d /usr/lib/jvm/temurin-*-jdk-amd64 2>/dev/null | sort -V | tail -1)}"
[[ -x "$JDK/bin/jlink" ]] || { echo "prepare: no jlink in DEVICE_JDK=$JDK" >&2; exit 2; }

DJL_SRC="${1:-$B/djl-src}"
if [[ ! -e "$DJL_SRC" ]]; then
  git clone --quiet --depth 1 --branch "$DJL_TAG" https://github.com/deepjavalibrary/djl "$DJL_SRC"
fi

echo "prepare: building Flowlab" >&2
(cd "$ROOT" && mvn -B -q -DskipTests package)
rm -rf "$STAGE"
mkdir -p "$STAGE/lib" "$STAGE/djl"

# 1. the check's classes: run its rehearsal here with every class load logged
echo "prepare: rehearsing the check on the CPU to see which classes it loads" >&2
JAVA_TOOL_OPTIONS="-Xlog:class+load=info:file=$STAGE/classes.%p.log" OUT="$STAGE/rehearsal" \
  "$ROOT/tests/device_check.sh" --rehearse >/dev/null 2>&1 \
  || { echo "prepare: the rehearsal failed; see $STAGE/rehearsal/" >&2; exit 1; }
cat "$STAGE"/classes.*.log > "$STAGE/classes.log"

JUNIT="$(ls ~/.m2/repository/org/junit/platform/junit-platform-console-standalone/*/junit-platform-console-standalone-*.jar | tail -1)"
WHOLE_JARS=("$ROOT/kernel-ext/target/flowlab.jar" "$JUNIT")
SHAKEN="$STAGE/shaken"
mkdir -p "$SHAKEN"
for jar in $(tr ':' ' ' < "$ROOT/kernel-ext/target/classpath.txt"); do
  name="$(basename "$jar")"
  case "$name" in
    pytorch-native-*|pytorch-jni-*) ;;  # the libtorch and JNI come from the GPU machine's torch
    flowlab-lib-*|api-*|pytorch-engine-*|jna-*|picocli-*|gson-*|slf4j-*) WHOLE_JARS+=("$jar") ;;
    *)
      # the rest only as far as the check uses it (fastutil alone is 23 MB)
      grep -F "source: file:$jar" "$STAGE/classes.log" | awk '{print $2}' | tr '.' '/' | sed 's/$/.class/' \
        > "$STAGE/want.txt" || true
      if [[ -s "$STAGE/want.txt" ]]; then
        (cd "$SHAKEN" && unzip -q -o "$jar" $(cat "$STAGE/want.txt") 'META-INF/services/*' 2>/dev/null || true)
      fi ;;
  esac
done
cp "${WHOLE_JARS[@]}" "$STAGE/lib/"
(cd "$ROOT/lib/target/test-classes" && "$JDK/bin/jar" cf "$STAGE/lib/flowlab-lib-test-classes.jar" org)
(cd "$SHAKEN" && "$JDK/bin/jar" cf "$STAGE/lib/libraries-used.jar" .)

# 2. a runtime with the modules the log shows, and the ones DJL's CUDA probe needs
MODULES="$(grep -o 'source: jrt:/[a-z.]*' "$STAGE/classes.log" | sed 's|source: jrt:/||' | sort -u | paste -sd, -)"
MODULES="$MODULES,java.management,jdk.unsupported"
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --output "$STAGE/jre"

# 3. DJL's JNI sources, its JNI header generated from PyTorchLibrary.java, and jni.h
is_git() { git -C "$DJL_SRC" rev-parse --verify --quiet "$DJL_TAG^{commit}" >/dev/null 2>&1; }
for d in engines/pytorch/pytorch-native/src/main/native api/src/main/native; do
  mkdir -p "$STAGE/djl/$d"
  if is_git; then
    git -C "$DJL_SRC" archive "$DJL_TAG" "$d" | tar -x -C "$STAGE/djl"
  else
    cp -r "$DJL_SRC/$d/." "$STAGE/djl/$d/"
  fi
done
PTL=engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java
mkdir -p "$STAGE/djl/jni" "$STAGE/javah"
if is_git; then
  git -C "$DJL_SRC" show "$DJL_TAG:$PTL" > "$STAGE/javah/PyTorchLibrary.java"
else
  cp "$DJL_SRC/$PTL" "$STAGE/javah/PyTorchLibrary.java"
fi
DJL_CP="$(tr ':' '\n' < "$ROOT/kernel-ext/target/classpath.txt" | grep -E '/(api|pytorch-engine)-[0-9.]+\.jar$' | paste -sd:)"
"$JDK/bin/javac" -cp "$DJL_CP" -h "$STAGE/djl/jni" -d "$STAGE/javah/classes" "$STAGE/javah/PyTorchLibrary.java"
cp -r "$JDK/include/." "$STAGE/djl/jni/"

tar -C "$STAGE" -cJf "$B/bundle.tar.xz" jre lib djl
echo "prepare: $(du -h "$B/bundle.tar.xz" | cut -f1) in $B/bundle.tar.xz; carry build/device/bundle.tar.xz" >&2
