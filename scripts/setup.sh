#!/usr/bin/env bash
# One-step set-up on Debian 12: system packages, Mesa 25 lavapipe (software Vulkan that Dawn accepts), npm deps.
# Idempotent: every step checks first and is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cache="$root/.cache/mesa"
log() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages. chromium brings SwiftShader (browser WebGPU); the old mesa-vulkan-drivers pulls in the LLVM
# that the backported lavapipe links against; python3-torch makes the reference fixtures.
apt_pkgs=(chromium libvulkan1 mesa-vulkan-drivers)
[ "${BERTGPU_SETUP_TORCH:-0}" = 1 ] && apt_pkgs+=(python3-torch python3-numpy)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Mesa 25 lavapipe from bookworm-backports of the mirror apt already uses (Debian 12's Mesa 22 is rejected by Dawn).
if [ ! -f "$cache/lvp_icd.json" ]; then
  if bash scripts/fetch-mesa.sh "$cache"; then rm -f "$root/.cache/mesa/unavailable"
  else
    log "Mesa 25 unavailable; WebGPU in Node falls back to SwiftShader (slow)"
    mkdir -p "$cache"; touch "$cache/unavailable"
  fi
fi

# npm dependencies (npm ci only when the lockfile changed since the last install).
stamp=node_modules/.bertgpu-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
log "done"
