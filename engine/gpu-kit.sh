#!/usr/bin/env bash
# Assembles the GPU kit, engine/target/gpu-kit.tar.xz (at most 60 MiB), for a machine with Python and torch but no
# Java and no network: a jlink'd Java runtime; the engine's classes and what they need, without Flink, Kafka or
# libtorch; the model parity tests with JUnit's console launcher; DJL's JNI source with its header generated and
# engine/build-jni.sh; the fixtures the tests read; the reference benchmark (with diffusers' source when given);
# and run.sh, the one script to run there (OUT=DIR run.sh). Run from a checkout beside ../shared; needs a JDK and Maven.
#
#   engine/gpu-kit.sh [--diffusers-source DIR] [--skip-build]
#
# --diffusers-source  a diffusers checkout (holding src/diffusers and LICENSE): carried for the reference rows
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
diffusers="" build=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --diffusers-source) diffusers="$2"; shift 2 ;;
    --skip-build) build=no; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
shared="$root/../shared"
[ -d "$shared/fixtures" ] || { echo "the fixtures are not at $shared/fixtures" >&2; exit 2; }
cd "$root"
if [ "$build" = yes ]; then
  mvn -B -q -pl jobs -am test-compile -DskipTests
fi
djl="$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' pom.xml | head -1)"
target="$root/engine/target"
kit="$target/gpu-kit"
rm -rf "$kit" "$target/gpu-kit.tar.xz"
mkdir -p "$kit/lib" "$kit/jni" "$kit/shared/fixtures/manifests" "$kit/python"

# the engine's classes, the benchmark entry points and the model tests
jar cf "$kit/lib/editstream-operators.jar" -C operators/target/classes .
jar cf "$kit/lib/editstream-operators-tests.jar" -C operators/target/test-classes .
(cd jobs/target/classes && jar cf "$kit/lib/editstream-engine-cli.jar" org/editstream/cli/EngineKit*.class \
  org/editstream/cli/Bench{Engine,Diffusion,Pair}Command*.class org/editstream/cli/BenchSupport*.class \
  org/editstream/cli/DeviceOption*.class org/editstream/cli/DiffusionBenchModels*.class)
# what they need: DJL without its native libtorch and prebuilt JNI, JNA, JSON, picocli, the test libraries
mvn -B -q -pl operators dependency:copy-dependencies -DoutputDirectory="$kit/lib" -DexcludeTransitive=false \
  -DincludeArtifactIds=api,pytorch-engine,jna,gson,slf4j-api,jackson-core,jackson-databind,jackson-annotations,assertj-core
mvn -B -q -pl jobs dependency:copy-dependencies -DoutputDirectory="$kit/lib" -DincludeArtifactIds=picocli
# the console launcher of the project's JUnit: Jupiter 5.x goes with the platform's 1.x
jupiter="$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)"
platform="1.${jupiter#5.}"
mvn -B -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" -DoutputDirectory="$kit/lib"
mv "$kit/lib/junit-platform-console-standalone-$platform.jar" "$kit/lib/junit-platform-console-standalone.jar"

# the parity tests the kit runs on the device (model code only: no Flink, Kafka or image store in them), and the
# batcher's out-of-memory splitting on real device memory (skipped without a GPU)
printf '%s\n' org.editstream.models.EngineVersionTest org.editstream.diffusion.UNetParityTest \
  org.editstream.diffusion.VaeParityTest org.editstream.diffusion.PipelineParityTest \
  org.editstream.diffusion.AttentionControlParityTest org.editstream.diffusion.PlugAndPlayParityTest \
  org.editstream.models.clip.ClipTextParityTest org.editstream.models.clip.ClipModelParityTest \
  org.editstream.models.BatcherOnDeviceTest > "$kit/parity-tests.txt"

# a Java runtime of the modules those need; its include/ holds jni.h for the JNI build there
classpath="$(ls "$kit"/lib/*.jar | grep -v console-standalone | paste -sd:)"
modules="$(jdeps --ignore-missing-deps --multi-release 17 --print-module-deps --class-path "$classpath" "$kit"/lib/editstream-*.jar)"
modules="$modules,java.xml,jdk.unsupported,java.management,jdk.crypto.ec"
jlink --add-modules "$modules" --strip-debug --no-man-pages --compress=0 --output "$kit/jre"

# DJL's JNI: its source archive for the tag, the header javac -h writes, and the build script
cp "$shared/vendor/djl-$djl-pytorch-jni-src.tar.gz" "$kit/jni/djl-src.tar.gz"
echo "$djl" > "$kit/jni/djl-version"
engine/build-jni.sh --write-header "$kit/jni/include" >/dev/null
cp engine/build-jni.sh "$kit/"

# the fixtures the tests read, and the manifests (the tests build the released models' layouts from them, and they
# size the benchmark's random SD-1.5)
for f in sd-tiny sd-tiny-inpaint clip-tiny; do cp -rL "$shared/fixtures/$f" "$kit/shared/fixtures/"; done
cp "$shared/fixtures/README.md" "$kit/shared/fixtures/"
cp "$shared"/fixtures/manifests/*.json "$kit/shared/fixtures/manifests/"

# the reference benchmark, and diffusers' own source for it (pure Python; its licence travels with it)
cp engine/kit/run.sh engine/kit/reference_bench.py engine/kit/summarise.py "$kit/"
if [ -n "$diffusers" ]; then
  [ -d "$diffusers/src/diffusers" ] || { echo "$diffusers has no src/diffusers" >&2; exit 2; }
  cp -r "$diffusers/src/diffusers" "$kit/python/"
  cp "$diffusers/LICENSE" "$kit/python/diffusers-LICENSE"
  find "$kit/python" -name __pycache__ -prune -exec rm -rf {} +
fi

tar -C "$target" -cJf "$target/gpu-kit.tar.xz" gpu-kit
size=$(stat -c %s "$target/gpu-kit.tar.xz")
echo "wrote $target/gpu-kit.tar.xz: $((size / 1048576)) MiB ($(du -sh "$kit" | cut -f1) unpacked)"
[ "$size" -le $((60 * 1048576)) ] || { echo "the kit is over 60 MiB" >&2; exit 1; }
