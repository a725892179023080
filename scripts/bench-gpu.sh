#!/usr/bin/env bash
# The benchmarks on a Linux machine with a real GPU (Vulkan), as JSON in one folder: the adapter, `bertgpu profile`
# (per-dispatch GPU times) for the MiniLM- and BERT-base-shaped bench models at 1 × 128 and 8 × 128 with the GPU
# kernel profile and with the runtime's own choice, in f32 and f16, and `npm run bench` (pipeline latency and cold
# start against transformers.js WebGPU on the same weights, public API on both sides). Self-contained: set-up
# through scripts/ensure-setup.sh (npm only); nothing else is downloaded.
#
#   scripts/bench-gpu.sh [OUT_DIR]          default: bench-results/gpu-<UTC time>
#
# Environment: BENCH_GPU_MODELS (default "minilm base"), BENCH_GPU_BATCHES ("1 8"), BENCH_GPU_TOKENS (128),
# BENCH_GPU_ICD (a Vulkan ICD json to use; default: every non-software ICD in the loader's folders),
# BENCH_GPU_ALLOW_SOFTWARE=1 (run on lavapipe anyway: to try the script on a machine without a GPU).
# The bench models (.cache/models/{minilm,base}-random) are made by scripts/make-fixtures --bench-only, which needs
# Debian's python3-torch; on a machine without it, copy .cache/models from one that has them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench-results/gpu-$(date -u +%Y%m%dT%H%M%SZ)}
models=${BENCH_GPU_MODELS:-minilm base}
batches=${BENCH_GPU_BATCHES:-1 8}
tokens=${BENCH_GPU_TOKENS:-128}
say() { echo "[bench-gpu] $*" >&2; }
die() { echo "bench-gpu: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "Linux only (Dawn on Vulkan)"
bash scripts/ensure-setup.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

# A real GPU's Vulkan driver, named explicitly: the Node benches fall back to (or point at) lavapipe when nothing is
# named, and VK_DRIVER_FILES also steers the Dawn inside onnxruntime-node (transformers.js's side) to the same GPU.
if [ -n "${BENCH_GPU_ICD:-}" ]; then
  icds=$BENCH_GPU_ICD
elif [ "${BENCH_GPU_ALLOW_SOFTWARE:-0}" = 1 ] && [ -f .cache/mesa/lvp_icd.json ]; then
  icds=$PWD/.cache/mesa/lvp_icd.json
else
  icds=""
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for f in "$d"/*.json; do
      [ -f "$f" ] || continue
      case "$(basename "$f")" in lvp_icd*|*lavapipe*|*swiftshader*) continue ;; esac
      icds=${icds:+$icds:}$f
    done
  done
  [ -n "$icds" ] || die "no Vulkan driver (ICD json) for a GPU in /etc/vulkan/icd.d or /usr/share/vulkan/icd.d; install the GPU's Vulkan driver (NVIDIA in a container: NVIDIA_DRIVER_CAPABILITIES must include graphics), or name one with BENCH_GPU_ICD"
fi
export VK_DRIVER_FILES=$icds
unset VK_ICD_FILENAMES
say "Vulkan drivers: $VK_DRIVER_FILES"

mkdir -p "$out"
node bin/bertgpu.js info > "$out/adapter.txt" 2> "$out/adapter.stderr.txt" || die "no WebGPU adapter through $VK_DRIVER_FILES (see $out/adapter.stderr.txt)"
cat "$out/adapter.txt" >&2
if grep -q '^fallback: *yes' "$out/adapter.txt" && [ "${BENCH_GPU_ALLOW_SOFTWARE:-0}" != 1 ]; then
  die "the adapter is a software one (see $out/adapter.txt); set BENCH_GPU_ALLOW_SOFTWARE=1 to run anyway"
fi

dirs=()
for m in $models; do
  case $m in minilm|base) dirs+=(".cache/models/$m-random") ;; tiny) dirs+=("test/fixtures/tiny-bert") ;; *) die "unknown model '$m' (minilm, base, tiny)" ;; esac
done
for d in "${dirs[@]}"; do
  [ -f "$d/model.safetensors" ] && [ -f "$d/onnx/model.onnx" ] && continue
  /usr/bin/python3 -c 'import torch' 2>/dev/null || die "$d is missing and /usr/bin/python3 has no torch to make it (scripts/make-fixtures --bench-only); copy .cache/models from a machine that has them"
  say "making the bench models (scripts/make-fixtures --bench-only)"
  scripts/make-fixtures --bench-only >&2
  break
done

# Per-dispatch GPU times: the GPU kernel profile (what the plan dump calls gpu) and the runtime's own choice (auto),
# f32 and f16 (f16 only where the adapter has shader-f16).
has_f16=$(grep -q '^shader-f16: *yes' "$out/adapter.txt" && echo 1 || echo 0)
for i in "${!dirs[@]}"; do
  m=$(echo $models | cut -d' ' -f$((i + 1)))
  for B in $batches; do
    for kp in gpu auto; do
      for dt in f32 f16; do
        [ $dt = f16 ] && [ "$has_f16" = 0 ] && continue
        f="$out/profile-$m-${B}x${tokens}-$kp-$dt.json"
        say "profile $m ${B}×${tokens} --kernel-profile $kp --dtype $dt"
        if ! node bin/bertgpu.js profile --model "${dirs[$i]}" --batch "$B" --tokens "$tokens" --kernel-profile $kp --dtype $dt --json > "$f" 2> "$f.stderr"; then
          say "  failed: $(grep '^bertgpu:' "$f.stderr" | head -1)"
        fi
      done
    done
  done
done

# The pipeline bench (ours vs transformers.js on the same adapter, then cold starts), its table kept as text and as
# JSON rows, and every time, kernel and tuning decision in bench.json.
say "npm run bench (models: $models; batches: $batches; tokens: $tokens)"
npm run --silent bench -- --models "$(echo $models | tr ' ' ,)" --batches "$(echo $batches | tr ' ' ,)" --tokens "$tokens" \
  --json "$out/bench.json" > "$out/forward.txt" 2> "$out/forward.stderr.txt" || say "npm run bench failed (see $out/forward.stderr.txt)"
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
  const start = lines.findIndex((l) => /^model\s{2,}batch/.test(l));
  const split = (l) => l.trim().split(/\s{2,}/);
  const head = start < 0 ? [] : split(lines[start]);
  const rows = start < 0 ? [] : lines.slice(start + 1).filter((l) => l.trim()).map(split).filter((r) => r.length === head.length)
    .map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
  console.log(JSON.stringify({ adapterLine: lines.find((l) => l.startsWith("adapter:")) ?? null, rows }, null, 2));
' "$out/forward.txt" > "$out/forward.json"
say "done: $out"
ls -l "$out" >&2
