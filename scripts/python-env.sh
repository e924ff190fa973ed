#!/usr/bin/env bash
# Makes the Python environment the oracle scripts run in, from this machine's local wheel mirror only.
# Idempotent: a complete environment is left as it is. Prints the environment's path on success.
#   <env>/venv                      torch 2.13.0+cpu, accelerate, numpy, transformers 5.18.0
#   <env>/transformers-<ver>/       each other 5.x transformers of the mirror, --no-deps, for sys.path
#   <env>/wheels/transformers-4.57.6-*.whl   read as source only (it wants huggingface-hub<1.0)
set -euo pipefail

ENV_DIR="${SHARDSCOPE_PYENV:-$HOME/.cache/shardscope/pyenv}"
INDEX=/opt/pypi/simple
EXTRA=/opt/pypi-more/simple
LINKS=/opt/wheels
TORCH=2.13.0+cpu
MAIN_TF=5.18.0
TARGET_TFS=(5.17.0 5.18.0)
SOURCE_TF=4.57.6

if [ ! -d "$INDEX" ] || [ ! -d "$EXTRA" ] || [ ! -d "$LINKS" ]; then
  echo "skipped: no local wheel mirror ($INDEX, $EXTRA, $LINKS)"
  exit 0
fi

# Only the indexes named here, not the machine's pip configuration.
export PIP_CONFIG_FILE=/dev/null
PIP_ARGS=(--index-url "file://$INDEX" --extra-index-url "file://$EXTRA" --find-links "$LINKS"
  --disable-pip-version-check --no-input --retries 0 --timeout 5)
PY="$ENV_DIR/venv/bin/python"
STAMP="$ENV_DIR/.complete"

# pip notes every project one of the two local indexes lacks; that is expected here.
pip_quiet() { "$PY" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

if [ -f "$STAMP" ] && [ -x "$PY" ]; then
  echo "$ENV_DIR"
  exit 0
fi

mkdir -p "$ENV_DIR"
if [ ! -x "$PY" ]; then
  python3 -m venv "$ENV_DIR/venv"
fi
# Already-present requirements make pip a no-op, so a half-made environment is completed, not redone.
pip_quiet install -q "${PIP_ARGS[@]}" "torch==$TORCH" "transformers==$MAIN_TF" accelerate numpy >&2

for v in "${TARGET_TFS[@]}"; do
  dir="$ENV_DIR/transformers-$v"
  if [ ! -f "$dir/transformers/__init__.py" ]; then
    rm -rf "$dir"
    pip_quiet install -q "${PIP_ARGS[@]}" --no-deps --target "$dir" "transformers==$v" >&2
  fi
done

mkdir -p "$ENV_DIR/wheels"
if ! ls "$ENV_DIR/wheels/transformers-$SOURCE_TF-"*.whl >/dev/null 2>&1; then
  pip_quiet download -q "${PIP_ARGS[@]}" --no-deps -d "$ENV_DIR/wheels" "transformers==$SOURCE_TF" >&2
fi

"$PY" -c "import torch, transformers, accelerate, numpy; assert torch.__version__ == '$TORCH', torch.__version__; assert transformers.__version__ == '$MAIN_TF'" >&2
touch "$STAMP"
echo "$ENV_DIR"
