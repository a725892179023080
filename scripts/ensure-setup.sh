#!/usr/bin/env bash
# Runs set-up only when something is missing, so `npm start` and `npm test` work alone on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
need=0
[ -x /usr/bin/chromium ] || need=1
[ -f node_modules/.bertgpu-lock-sha ] && [ "$(cat node_modules/.bertgpu-lock-sha)" = "$(sha256sum package-lock.json | cut -d' ' -f1)" ] || need=1
if [ -f .cache/mesa/lvp_icd.json ]; then
  lib=$(sed -nE 's/.*"library_path": *"([^"]*)".*/\1/p' .cache/mesa/lvp_icd.json)
  [ -f "$lib" ] || { rm -rf .cache/mesa; need=1; }   # checkout moved: unpack again
elif [ ! -f .cache/mesa/unavailable ]; then
  need=1
fi
[ $need = 0 ] || bash scripts/setup.sh
