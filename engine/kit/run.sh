#!/usr/bin/env bash
# The GPU kit's one script (engine/gpu-kit.sh assembles the kit around it). On a machine with Python and torch, no
# Java and no network: builds DJL's JNI against `python3 -c 'import torch'`'s libtorch, runs the model parity tests on
# that machine's device (CUDA when torch has it) against the fixtures the kit carries, runs the engine's benchmark and
# the PyTorch/diffusers reference at the sizes for that device, and writes one JSON of results: $OUT/gpu-kit.json.
#
#   OUT=DIR [PYTHON=python3] [KIT_SIZES=gpu|cpu] [KIT_SECONDS=510] run.sh
#
# KIT_SECONDS bounds the whole run (the device's calls stop at 9 minutes): the parity tests, the benchmark and the
# reference each get a share of what is left and are stopped at it; both benchmarks write their JSON after every row,
# so a stopped step keeps the rows it finished, and the results JSON is always written (a stopped step's status: 124).
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$kit/out}"
mkdir -p "$out"
python="${PYTHON:-python3}"
log="$out/gpu-kit.log"
exec > >(tee -a "$log") 2>&1
started=$(date +%s)
step() { echo "== $(( $(date +%s) - started )) s: $*"; }
budget="${KIT_SECONDS:-510}"
# seconds for the next step: NUM/DEN of what is left after keeping RESERVE for the steps after it, at most CAP
limit() { # NUM DEN RESERVE [CAP]
  local s=$(( (budget - ($(date +%s) - started) - $3) * $1 / $2 ))
  [ $# -gt 3 ] && [ "$s" -gt "$4" ] && s=$4
  [ "$s" -lt 10 ] && s=10
  echo "$s"
}

torch_dir="$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')" || { echo "no torch in $python" >&2; exit 2; }
cuda="$("$python" -c 'import torch; print("yes" if torch.cuda.is_available() else "no")')"
sizes="${KIT_SIZES:-$([ "$cuda" = yes ] && echo gpu || echo cpu)}"
export PATH="$kit/jre/bin:$PATH"
djl="$(cat "$kit/jni/djl-version")"

step "building DJL $djl's JNI against $torch_dir (CUDA: $cuda)"
engines="$kit/engines"
"$kit/build-jni.sh" --torch "$torch_dir" --djl-source "$kit/jni/djl-src.tar.gz" --header "$kit/jni/include" \
  --djl-version "$djl" --out "$engines/pytorch/jni" > "$out/build-jni.log" 2>&1
jni_status=$?
grep "NVIDIA driver" "$out/build-jni.log" || true
tail -3 "$out/build-jni.log"
if [ $jni_status -ne 0 ]; then
  echo "the JNI build failed (see build-jni.log)" >&2
  "$python" -c "import json,sys; json.dump({'jni': 'failed', 'log': open(sys.argv[1]).read()[-4000:]}, open(sys.argv[2], 'w'), indent=2)" \
    "$out/build-jni.log" "$out/gpu-kit.json"
  exit 1
fi
# the environment the build printed, with DJL's cache folder where DJL looks for <version>-<flavour>-linux-x86_64
eval "$(tail -1 "$out/build-jni.log")"
target="$engines/pytorch/$PYTORCH_VERSION-$PYTORCH_FLAVOR-linux-x86_64"
mkdir -p "$target" && mv "$engines/pytorch/jni/$djl-libdjl_torch.so" "$target/"
export ENGINE_CACHE_DIR="$engines"
jvm=(-Xmx8g -Deditstream.shared="$kit/shared" -Deditstream.device=auto -Deditstream.expect-libtorch="$PYTORCH_VERSION")
# the CUDA wheel's runtime libraries: JNA finds a versioned-only libcudart through jna.library.path
nvidia="$(dirname "$torch_dir")/nvidia"
if [ -d "$nvidia" ]; then
  jvm+=(-Djna.library.path="$(find "$nvidia" -maxdepth 3 -type d -name lib | paste -sd:)")
fi

step "parity tests on the device"
classes="$(ls "$kit"/lib/*.jar | grep -v console-standalone | paste -sd:)"
# float32 parity against goldens made in float32 on a CPU: libtorch lets cuDNN run float32 convolutions as TF32 (10
# mantissa bits) by default, and DJL has no switch for it; NVIDIA_TF32_OVERRIDE=0 turns TF32 off in NVIDIA's libraries.
# The benchmarks keep libtorch's defaults, the same on both sides.
NVIDIA_TF32_OVERRIDE=0 timeout -k 10 "$(limit 1 1 120 240)" java "${jvm[@]}" -jar "$kit/lib/junit-platform-console-standalone.jar" execute --class-path "$classes" \
  --disable-banner --details=summary --reports-dir "$out/parity" \
  $(sed 's/^/--select-class /' "$kit/parity-tests.txt") > "$out/parity.log" 2>&1
parity_status=$?
tail -15 "$out/parity.log"

step "the engine's benchmark ($sizes sizes)"
if [ "$sizes" = gpu ]; then
  bench=(--precision float32,float16,bfloat16 --latent 64 --batches 2,8,32 --peak-size 8192 --pair-steps 50
         --generation-batches 1,4,16 --batch-steps 10 --unet-config "$kit/shared/fixtures/manifests/sd15-unet.json")
  pipeline=(--manifests "$kit/shared/fixtures/manifests" --tiny "$kit/shared/fixtures/sd-tiny")
else
  bench=(--precision float32,bfloat16 --latent 16 --batches 2 --peak-size 512 --pair-steps 5 --generation-batches 1,4
         --batch-steps 2 --unet-config "$kit/shared/fixtures/sd-tiny/unet/config.json")
  pipeline=(--pipeline "$kit/shared/fixtures/sd-tiny")
fi
# the reference takes about as long as the engine where diffusers came with the kit, next to nothing without it
share=(1 1 40); [ -d "$kit/python/diffusers" ] && share=(1 2 20)
timeout -k 10 "$(limit "${share[@]}")" java "${jvm[@]}" -cp "$kit/lib/*" org.editstream.cli.EngineKit engine "${bench[@]}" "${pipeline[@]}" \
  --json "$out/engine.json" > "$out/engine.log" 2>&1
engine_status=$?
grep -v "^WARN\|INFO" "$out/engine.log" | tail -25

step "the PyTorch reference"
# the same rows' options (the reference builds its pipeline-free loop from the UNet config); diffusers from the kit
PYTHONPATH="$kit/python${PYTHONPATH:+:$PYTHONPATH}" timeout -k 10 "$(limit 1 1 15)" "$python" "$kit/reference_bench.py" --json "$out/reference.json" \
  "${bench[@]}" > "$out/reference.log" 2>&1
reference_status=$?
tail -12 "$out/reference.log"

step "results"
"$python" "$kit/summarise.py" --out "$out" --jni "$out/build-jni.log" --parity "$out/parity" \
  --engine "$out/engine.json" --reference "$out/reference.json" --seconds $(( $(date +%s) - started )) \
  --status "parity=$parity_status,engine=$engine_status,reference=$reference_status" --sizes "$sizes"
[ $parity_status -eq 0 ] && [ $engine_status -eq 0 ] && [ $reference_status -eq 0 ]
