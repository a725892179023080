#!/usr/bin/env bash
# Copies the committed tiny test models (random weights) into public/ for the demo. The copy is committed too, so
# `npm start` works offline without this script; run it again after the fixture is regenerated. Only the files a
# browser needs: not reference.json (test data) nor onnx/ (for the ONNX Runtime parity tests).
set -euo pipefail
cd "$(dirname "$0")/.."
# tiny-bert: the classification model; tiny-bert-mlm: the fill-mask one (BertForPreTraining).
for pair in tiny-bert:tiny-bert-random tiny-bert-mlm:tiny-bert-mlm-random; do
  src=test/fixtures/${pair%%:*}
  dst=public/models/${pair##*:}
  mkdir -p "$dst"
  for f in config.json model.safetensors vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do
    cp "$src/$f" "$dst/$f"
  done
  echo "copied $src → $dst"
done
