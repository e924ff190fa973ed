#!/usr/bin/env bash
# The one-shot proof of the native addon's CUDA/NCCL path on a GPU machine that can fetch nothing (no npm,
# no Node headers, maybe no node): everything it runs was built and bundled by test/gpu/prepare.sh on a
# machine with node_modules, and carried along (prepare.sh prints the paths).
#
#   bash test/gpu/run.sh [output folder]     (from anywhere; default test/gpu/results/<date>-<gpu>/)
#
# Steps, each with a time limit inside one overall deadline (SHARDSCOPE_GPU_DEADLINE_S, default 540 s):
#   node       a node ≥ 20 on the PATH, else the one carried in test/gpu/.carry/node.xz
#   carried    the addon, dist/, the bundles and esbuild from prepare.sh
#   gpu        nvidia-smi and PyTorch's view of the GPUs
#   examples   every example rehearsed on the CUDA backend in the group the GPUs hold (one GPU: tp=1),
#              each program also on the CPU backend, op by op; every collective over one NCCL communicator
#   measure-addon  cuBLAS bf16 GEMM, kernel bandwidth against a device-to-device copy, NCCL all-reduce,
#              the rehearsal's time per layer (and torch-spec.json for the next step)
#   torch      test/gpu/torch_reference.py: PyTorch on the same shapes, sizes and layers
#   bench      bench/cuda.bench.ts
#   native     the native suite with SHARDSCOPE_CUDA_REAL=1 (no stand-in)
#   multi-gpu  recorded as "not run" on one GPU: the multi-GPU NCCL paths need CUDA_VISIBLE_DEVICES of ≥ 2
#   report     results.json (every step, every figure side by side); exit 1 naming failed steps and missed marks
# Everything goes to <output>/run.log and <output>/results.json (parts/ holds each step's JSON).
# A failed step does not stop the later ones (one shot: keep every figure), but the run then exits 1.
#
# SHARDSCOPE_GPU_STANDIN=1 runs the same steps against the tests' stand-in CUDA library (test/native/standin,
# built with g++) with small sizes and PyTorch on the CPU: the plumbing, on a machine without a GPU.
# PYTHON (default python3) is the interpreter with torch and NVIDIA's wheels, also searched for libraries.
# SHARDSCOPE_GPU_ONLY="examples bench" reruns only those steps (the others are recorded as not run);
# SHARDSCOPE_GPU_NATIVE_FILTER=cuda/ runs only the native tests whose path holds it.
set -uo pipefail
# The output folder as given, relative to where the run was started.
[ $# -ge 1 ] && case $1 in /*) ;; *) set -- "$PWD/$1" ;; esac
cd "$(dirname "$0")/../.."
CARRY=test/gpu/.carry
PY=${PYTHON:-python3}
export PYTHON=$PY
STANDIN=${SHARDSCOPE_GPU_STANDIN:-0}
if [ "$STANDIN" = 1 ]; then
  unset SHARDSCOPE_CUDA_REAL
  export SHARDSCOPE_STANDIN_GPUS=${SHARDSCOPE_STANDIN_GPUS:-1}
else export SHARDSCOPE_CUDA_REAL=1; fi
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' /' '__')
out=${1:-test/gpu/results/$(date -u +%Y%m%d-%H%M)-${gpu_name:-$([ "$STANDIN" = 1 ] && echo standin || echo nogpu)}}
mkdir -p "$out/parts"
left_out() { [ -n "${SHARDSCOPE_GPU_ONLY:-}" ] && [[ " $SHARDSCOPE_GPU_ONLY " != *" $1 "* ]]; }
if [ -n "${SHARDSCOPE_GPU_ONLY:-}" ] && [ -f "$out/steps.tsv" ]; then
  # A rerun into the same folder keeps what the steps left out gave before (their parts and status).
  while IFS=$'\t' read -r name rest; do
    case $name in node | carried | multi-gpu) ;; *) left_out "$name" && printf '%s\t%s\n' "$name" "$rest" ;; esac
  done <"$out/steps.tsv" >"$out/steps.tsv.kept"
  mv "$out/steps.tsv.kept" "$out/steps.tsv"
  rm -f "$out/results.json"
else
  rm -f "$out/steps.tsv" "$out/native.tap" "$out/results.json" "$out/torch-spec.json" "$out"/parts/*.json
fi
DEADLINE=${SHARDSCOPE_GPU_DEADLINE_S:-540}
REPORT_RESERVE=20

record() {  # name status seconds [detail]
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$out/steps.tsv"
  [ "$2" = ok ] || echo ">> step $1: $2${4:+ ($4)}"
}

step() {  # name limit command...: runs it under the smaller of its limit and the time left
  local name=$1 limit=$2
  shift 2
  if left_out "$name"; then
    grep -q "^$name"$'\t' "$out/steps.tsv" 2>/dev/null || record "$name" "not run: left out by SHARDSCOPE_GPU_ONLY=$SHARDSCOPE_GPU_ONLY" 0
    return
  fi
  local left=$((DEADLINE - REPORT_RESERVE - SECONDS))
  [ "$left" -lt "$limit" ] && limit=$left
  echo "## $name ($(date -u +%T), limit ${limit}s)"
  if [ "$limit" -lt 5 ]; then record "$name" "failed: no time left before the ${DEADLINE}s deadline" 0; return; fi
  local t0=$SECONDS rc why
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$out/parts/$name.log"
  rc=${PIPESTATUS[0]}
  # The step's own last word on a failure, for results.json (the whole output is in run.log).
  why=$(grep -E 'FAILED|Error|error|failed|not found' "$out/parts/$name.log" | tail -1 | cut -c1-300)
  [ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$out/parts/$name.log" | tail -1 | cut -c1-300)
  if [ $rc -eq 0 ]; then record "$name" ok $((SECONDS - t0))
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then record "$name" "failed: timed out after ${limit}s" $((SECONDS - t0)) "$why"
  else record "$name" "failed: exit $rc" $((SECONDS - t0)) "$why"; fi
}

fatal() {  # a step the rest cannot run without
  record "$1" "failed: $2" "$SECONDS"
  echo "run.sh: step $1 failed: $2" >&2
  exit 1
}

find_node() {
  local n v
  n=$(command -v node || true)
  v=$([ -n "$n" ] && "$n" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ -n "$n" ] && [ "$v" -ge 20 ]; then echo "node: $n $("$n" --version)"; return 0; fi
  echo "node: ${n:-none} on the PATH${n:+ (major $v)}; using the carried one"
  [ -f "$CARRY/node.xz" ] || fatal node "no node ≥ 20 on the PATH and no $CARRY/node.xz (run test/gpu/prepare.sh where node is, and carry its paths)"
  # Outside the tree first, so that a later prepare.sh never carries the 100 MB binary itself; in the
  # tree's ignored .node-bin/ when the temporary folder cannot run programs (noexec).
  local version bin
  version=$(cat "$CARRY/node.version" 2>/dev/null || echo unknown)
  for bin in "${TMPDIR:-/tmp}/shardscope-gpu-node-$version" "$PWD/test/gpu/.node-bin"; do
    mkdir -p "$bin" || continue
    if [ ! -x "$bin/node" ]; then
      # xz where it is installed, else Python's lzma (PyTorch machines always have Python).
      { command -v xz >/dev/null && xz -dc "$CARRY/node.xz" >"$bin/node.tmp"; } ||
        "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$CARRY/node.xz" "$bin/node.tmp" ||
        fatal node "could not decompress $CARRY/node.xz"
      chmod +x "$bin/node.tmp" && mv "$bin/node.tmp" "$bin/node"
    fi
    if "$bin/node" --version >/dev/null 2>&1; then
      export PATH="$bin:$PATH"
      echo "node: $bin/node $(node --version)"
      return 0
    fi
    echo "node: $bin/node does not run: $("$bin/node" --version 2>&1 | head -1)"
  done
  fatal node "the carried node does not run here"
}

check_carried() {
  local missing=()
  for f in dist/runtime-child.js native/build/Release/shardscope_native.node node_modules/esbuild/bin/esbuild \
    "$CARRY/scripts/check-examples.js" "$CARRY/scripts/measure-addon.js" "$CARRY/scripts/bench-cuda.mjs" "$CARRY/scripts/report.js" "$CARRY/tests"; do
    [ -e "$f" ] || missing+=("$f")
  done
  [ ${#missing[@]} -eq 0 ] || fatal carried "missing ${missing[*]}: run bash test/gpu/prepare.sh on a machine with node_modules and carry the paths it prints"
  [ -f "$CARRY/manifest.txt" ] && sed 's/^/prepared: /' "$CARRY/manifest.txt"
  echo "this tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?') with $(git status --porcelain 2>/dev/null | wc -l) changed path(s)"
  # The tests' helpers bundle the runtime child with esbuild; its binary is carried in node_modules/esbuild.
  export ESBUILD_BINARY_PATH=$PWD/node_modules/esbuild/bin/esbuild
  record carried ok 0
}

check_gpu() {
  if [ "$STANDIN" = 1 ]; then
    echo "stand-in: $SHARDSCOPE_STANDIN_GPUS GPU(s) of test/native/standin"
  else
    nvidia-smi || return 1
    echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-<unset>}"
  fi
  "$PY" -c 'import sys, torch
cuda = torch.cuda.is_available()
print("torch", torch.__version__, "CUDA", torch.version.cuda, "GPUs", torch.cuda.device_count() if cuda else 0)
sys.exit(0 if cuda or sys.argv[1] == "1" else 1)' "$STANDIN"
}

gpu_count() {
  if [ "$STANDIN" = 1 ]; then echo "$SHARDSCOPE_STANDIN_GPUS"; else "$PY" -c 'import torch; print(torch.cuda.device_count())' 2>/dev/null || echo 0; fi
}

native_suite() {
  local files
  files=$(find "$CARRY/tests" -name '*.test.js' | sort | grep -e "${SHARDSCOPE_GPU_NATIVE_FILTER:-}")
  [ -n "$files" ] || { echo "no native test matches '${SHARDSCOPE_GPU_NATIVE_FILTER:-}'"; return 1; }
  # shellcheck disable=SC2086
  node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$out/native.tap" $files
}

torch_reference() {
  [ -f "$out/torch-spec.json" ] || { echo "no $out/torch-spec.json: step measure-addon did not write it"; return 1; }
  "$PY" test/gpu/torch_reference.py --spec "$out/torch-spec.json" --out "$out/parts/torch.json" --device "$([ "$STANDIN" = 1 ] && echo cpu || echo cuda)"
}

run_all() {
  echo "# test/gpu/run.sh $(date -u) on $(hostname), output $out, $([ "$STANDIN" = 1 ] && echo 'stand-in library' || echo 'real GPUs')"
  echo "## node"
  find_node
  record node ok 0
  echo "## carried"
  check_carried
  export -f check_gpu native_suite torch_reference
  export out CARRY PY STANDIN
  step gpu 60 bash -c check_gpu
  local gpus
  gpus=$(gpu_count)
  step examples 120 node "$CARRY/scripts/check-examples.js" "$out"
  step measure-addon 150 node "$CARRY/scripts/measure-addon.js" "$out"
  step torch 150 bash -c torch_reference
  step bench 60 node "$CARRY/scripts/bench-cuda.mjs" "$out"
  step native 240 bash -c native_suite
  if [ "$gpus" -lt 2 ]; then
    record multi-gpu "not run: $gpus GPU(s) visible; NCCL between GPUs (examples at their plan's tp, collectives over 2+ ranks, send/recv, all-reduce bus bandwidth) needs CUDA_VISIBLE_DEVICES of two or more" 0
  else record multi-gpu ok 0 "covered by the steps above on $gpus GPUs"; fi
  echo "## report"
  timeout 60 node "$CARRY/scripts/report.js" "$out"
}

# A rerun of some steps adds to the earlier log.
run_all 2>&1 | tee ${SHARDSCOPE_GPU_ONLY:+-a} "$out/run.log"
status=${PIPESTATUS[0]}
echo "exit $status; log: $out/run.log, results: $out/results.json" | tee -a "$out/run.log"
exit "$status"
