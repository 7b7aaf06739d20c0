#!/usr/bin/env bash
# Builds DJL's PyTorch JNI library (libdjl_torch.so) from DJL's own source, for the project's djl.version, against the
# libtorch of a torch wheel's torch/ folder (or a site-packages folder holding one) or of an unpacked libtorch zip, so
# that the engine runs on that libtorch. DJL ships its JNI for libtorch 2.7.1 only; a JNI built for one torch minor
# version does not load on another. Needs g++ and a JDK (javac -h writes the JNI header); no CMake, no CUDA toolkit.
#
#   engine/build-jni.sh --torch DIR [--djl-source FILE] [--out DIR] [--jobs N] [--header DIR --djl-version V]
#
# --djl-source  DJL's source archive for the tag (default: ../shared/vendor/djl-<version>-pytorch-jni-src.tar.gz
#               beside the checkout when present, else the tag's archive from GitHub)
# --out         where the JNI goes (default: $ENGINE_CACHE_DIR, or ~/.djl.ai, /pytorch/<torch>-<flavour>-linux-x86_64,
#               where DJL looks for it)
# --header      a folder holding the JNI header already generated (the GPU kit's: it has a Java runtime, no javac);
#               jni.h is then taken from the runtime of the java on the PATH
# --djl-version DJL's version, where there is no pom.xml to read it from (the GPU kit)
# --write-header DIR  only writes the JNI header into DIR (no --torch needed), for the kit to carry
# DJL's JNI maps no bfloat16 (it aborts the process on one); the build adds the mapping (DataType.BFLOAT16, ordinal 11).
# The last lines printed are the environment to run the job, txt2img and the benches on that libtorch with.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
torch="" source="" out="" jobs="$(nproc)" header="" djl="" write_header=""
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) torch="$2"; shift 2 ;;
    --header) header="$2"; shift 2 ;;
    --djl-version) djl="$2"; shift 2 ;;
    --write-header) write_header="$2"; shift 2 ;;
    --djl-source) source="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$torch" ] || [ -n "$write_header" ] || { echo "--torch DIR is required: a wheel's torch/ folder, or an unpacked libtorch" >&2; exit 2; }
if [ -z "$write_header" ]; then
[ -d "$torch/torch/include" ] && torch="$torch/torch"
[ -d "$torch/include/ATen" ] && [ -d "$torch/lib" ] || { echo "$torch has no include/ATen and lib/: not a libtorch" >&2; exit 2; }
torch="$(cd "$torch" && pwd)"
fi
command -v g++ >/dev/null || { echo "g++ is needed (apt-get install g++)" >&2; exit 2; }
[ -n "$header" ] || command -v javac >/dev/null || { echo "a JDK is needed for javac -h (or --header DIR)" >&2; exit 2; }

[ -n "$djl" ] || djl="$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' "$root/pom.xml" 2>/dev/null | head -1)"
[ -n "$djl" ] || { echo "no djl.version in $root/pom.xml (or --djl-version V)" >&2; exit 2; }

# the torch version and flavour: a wheel's version.py ('2.13.0+cpu'), or a libtorch zip's build-version
if [ -n "$write_header" ]; then
  full="none"
elif [ -f "$torch/version.py" ]; then
  full="$(sed -n "s/^__version__ = '\(.*\)'/\1/p" "$torch/version.py")"
elif [ -f "$torch/build-version" ]; then
  full="$(cat "$torch/build-version")"
else
  echo "cannot tell the torch version of $torch (no version.py or build-version)" >&2; exit 2
fi
version="${full%%+*}"
flavour="cpu"
case "$full" in *+cu*) flavour="${full##*+}" ;; esac
[ -f "$torch/lib/libtorch_cuda.so" ] && [ "$flavour" = "cpu" ] && flavour="cu"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# a CUDA libtorch on a machine without the NVIDIA driver: with a cu flavour DJL loads libcaffe2_nvrtc.so up front, and
# that needs the driver's libcuda.so.1 (torch in Python loads it only on first use). The cpu flavour lets the engine
# load there and run on the CPU; the JNI still links libtorch_cuda.
if [ "$flavour" != "cpu" ]; then
  printf '#include <dlfcn.h>\nint main(void) { return dlopen("libcuda.so.1", RTLD_LAZY) ? 0 : 1; }\n' > "$work/driver.c"
  if ! { g++ -x c "$work/driver.c" -o "$work/driver" -ldl 2>/dev/null && "$work/driver"; }; then
    echo "no libcuda.so.1 (the NVIDIA driver) here: torch $full will run on the CPU, under DJL's cpu flavour"
    flavour="cpu"
  fi
fi
if [ -z "$source" ]; then
  vendored="$root/../shared/vendor/djl-$djl-pytorch-jni-src.tar.gz"
  if [ -f "$vendored" ]; then
    source="$vendored"
  else
    source="$work/djl-$djl.tar.gz"
    echo "downloading DJL v$djl's source"
    curl -fsSL -o "$source" "https://github.com/deepjavalibrary/djl/archive/refs/tags/v$djl.tar.gz"
  fi
fi
tar xzf "$source" -C "$work"
src="$work/djl-$djl"
native="$src/engines/pytorch/pytorch-native/src/main/native"
[ -d "$native" ] || { echo "$source has no djl-$djl/engines/pytorch/pytorch-native: not DJL v$djl's source" >&2; exit 2; }

# bfloat16: DJL passes DataType ordinals; its JNI maps none to BFloat16 and rethrows nothing ("throw;") for it
utils="$native/djl_pytorch_utils.h"
grep -q 'case 8:' "$utils" || { echo "$utils is not the DJL JNI source this build knows" >&2; exit 2; }
sed -i -e 's/^\(\s*\)} else if (torch::kComplexFloat == type) {/\1} else if (torch::kBFloat16 == type) {\n\1  return 11;\n&/' \
  -e 's/^\(\s*\)case 8:$/\1case 11:\n\1  return torch::kBFloat16;\n&/' "$utils"
grep -q 'kBFloat16' "$utils" || { echo "could not add bfloat16 to $utils" >&2; exit 2; }

if [ -n "$header" ]; then
  mkdir -p "$work/include" && cp "$header"/*.h "$work/include/"
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
else
# the JNI header, from the engine's Java declaration of its native methods
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
# DJL's api jar and what it needs, from the Maven repository, or the job's shaded jar, which holds them all
classpath="$( (ls "$repo/ai/djl/api/$djl/api-$djl.jar" "$repo"/org/slf4j/slf4j-api/*/slf4j-api-*.jar "$repo"/com/google/code/gson/gson/*/gson-*.jar "$root/jobs/target/editstream.jar" 2>/dev/null || true) | tr '\n' ':')"
javac -nowarn -h "$work/include" -d "$work/classes" -cp "$classpath" \
  -sourcepath "$src/engines/pytorch/pytorch-engine/src/main/java" \
  "$src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" \
  || { echo "javac -h failed: DJL's api jar $djl (and slf4j, gson) are looked for in $repo (mvn -q package fetches them)" >&2; exit 2; }
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
fi
if [ -n "$write_header" ]; then
  mkdir -p "$write_header" && cp "$work"/include/*.h "$write_header/"
  echo "wrote the JNI header of DJL $djl into $write_header"
  exit 0
fi
[ -f "$java_home/include/jni.h" ] || { echo "no jni.h in $java_home/include" >&2; exit 2; }
flags=(-O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI=1 -I"$work/include" -I"$src/api/src/main/native" -I"$java_home/include"
       -I"$java_home/include/linux" -I"$torch/include" -I"$torch/include/torch/csrc/api/include")
# the C++ standard the headers need: torch 2.14's ATen needs C++20, earlier ones build with C++17
printf '#include <torch/script.h>\nint main() { return 0; }\n' > "$work/probe.cc"
standard=""
for s in gnu++17 gnu++20; do
  if g++ -std="$s" -fsyntax-only -w "${flags[@]}" "$work/probe.cc" 2>/dev/null; then standard="$s"; break; fi
done
[ -n "$standard" ] || { echo "the headers of $torch compile neither as C++17 nor as C++20 here:" >&2
  g++ -std=gnu++20 -fsyntax-only "${flags[@]}" "$work/probe.cc" 2>&1 | head -20 >&2; exit 1; }

echo "building DJL $djl's JNI against torch $full ($flavour) in $torch, $standard, $jobs jobs"
mkdir -p "$work/obj"
export work standard
printf '%s\n' "$native"/*.cc | xargs -P "$jobs" -I{} sh -c \
  'g++ -c -std="$standard" -w "$@" "{}" -o "$work/obj/$(basename "{}" .cc).o" || { echo "failed: {}" >&2; exit 255; }' \
  _ "${flags[@]}"
libs=(-ltorch -ltorch_cpu -lc10)
[ -f "$torch/lib/libtorch_cuda.so" ] && libs+=(-Wl,--no-as-needed -ltorch_cuda -Wl,--as-needed)
[ -n "$out" ] || out="${ENGINE_CACHE_DIR:-$HOME/.djl.ai}/pytorch/$version-$flavour-linux-x86_64"
mkdir -p "$out"
g++ -shared "$work"/obj/*.o -L"$torch/lib" "${libs[@]}" -Wl,-rpath,"$torch/lib" -o "$out/$djl-libdjl_torch.so"
echo "wrote $out/$djl-libdjl_torch.so"
echo "run on it with:"
echo "export PYTORCH_LIBRARY_PATH=$torch/lib PYTORCH_VERSION=$version PYTORCH_FLAVOR=$flavour ENGINE_CACHE_DIR=$(dirname "$(dirname "$out")") DJL_OFFLINE=true OPT_OUT_TRACKING=true EDITSTREAM_JNI_BFLOAT16=true"
