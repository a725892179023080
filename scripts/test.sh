#!/usr/bin/env bash
# The whole test suite: type check, Node/Dawn unit tests, then the browser suite in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
npx tsc --noEmit -p tsconfig.json
npx vitest run --project unit
npx vitest run --project browser
npx vitest run --project e2e
