#!/usr/bin/env bash
# Runs its arguments with the environment Dawn in Node wants: XDG_RUNTIME_DIR set (else Dawn prints a warning on
# every run). Adapter discovery (lavapipe, else SwiftShader) is done in-process by src/gpu/node-gpu.ts, so nothing
# else is needed here. Usage: bash scripts/gpu-env.sh tsx scripts/bench-kernels.ts
set -euo pipefail
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
exec "$@"
