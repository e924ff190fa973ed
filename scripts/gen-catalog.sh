#!/usr/bin/env bash
# Regenerates the model catalog from real transformers releases:
# extension/core/models/catalog/data/transformers-<version>.json for every version of the local mirror.
# 5.x versions are imported and built on the meta device; 4.57.6 (which does not import with the mirror's
# huggingface-hub) is read from its wheel's source.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENV_OUT="$(bash "$ROOT/scripts/python-env.sh")"
case "$ENV_OUT" in skipped:*) echo "$ENV_OUT"; exit 0 ;; esac
ENV_DIR="$(printf '%s\n' "$ENV_OUT" | tail -n 1)"
PY="$ENV_DIR/venv/bin/python"
GEN="$ROOT/test/oracle/catalog/generate.py"
DATA="$ROOT/extension/core/models/catalog/data"
mkdir -p "$DATA"

for v in 5.18.0 5.17.0; do
  "$PY" "$GEN" --transformers-path "$ENV_DIR/transformers-$v" --out "$DATA/transformers-$v.json" 2>"$ENV_DIR/gen-$v.log"
done
wheel="$(ls "$ENV_DIR"/wheels/transformers-4.57.6-*.whl | head -n 1)"
"$PY" "$GEN" --source-wheel "$wheel" --out "$DATA/transformers-4.57.6.json" 2>"$ENV_DIR/gen-4.57.6.log"
