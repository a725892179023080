#!/usr/bin/env bash
# Copies the committed tiny test model (random weights) into public/ for the demo. The copy is committed too, so
# `npm start` works offline without this script; run it again after the fixture is regenerated. Only the files a
# browser needs: not reference.json (test data) nor onnx/ (for the ONNX Runtime parity tests).
set -euo pipefail
cd "$(dirname "$0")/.."
src=test/fixtures/tiny-bert
dst=public/models/tiny-bert-random
mkdir -p "$dst"
for f in config.json model.safetensors vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do
  cp "$src/$f" "$dst/$f"
done
echo "copied $src → $dst"
