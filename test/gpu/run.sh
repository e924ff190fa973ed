#!/usr/bin/env bash
# Runs the native suite and CUDA discovery on a machine with GPUs, and keeps the output in
# test/gpu/results/<date>-<gpu>.txt. Usage: bash test/gpu/run.sh  (from the repository root)
set -uo pipefail
cd "$(dirname "$0")/../.."
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' /' '__')
mkdir -p test/gpu/results
out="test/gpu/results/$(date -u +%Y%m%d-%H%M)-${gpu:-nogpu}.txt"
{
  echo "# $(date -u) on $(hostname)"; nvidia-smi 2>&1 | head -20
  [ -f native/build/Release/shardscope_native.node ] || npm run install
  node scripts/build.mjs
  echo "## discovery"
  node --input-type=module -e '
    import { build } from "esbuild";
    await build({ entryPoints: ["extension/runtime/index.ts"], outfile: ".test-out/runtime.cjs", bundle: true, platform: "node", format: "cjs", logLevel: "warning" });
  '
  node -e '
    const r = require("./.test-out/runtime.cjs");
    (async () => {
      const sp = await r.pythonSitePackages(process.env.PYTHON ?? "python3");
      const d = await r.discoverCuda(r.cudaLibraryDirs({ setting: process.env.SHARDSCOPE_CUDA_LIBS, sitePackages: sp }), { childPath: "dist/runtime-child.js" });
      console.log(JSON.stringify(d, null, 2));
    })();
  '
  echo "## native suite (CPU backend; the CUDA tests against the stand-in library)"
  node scripts/test.mjs native
  if [ -n "$gpu" ]; then
    echo "## CUDA backend on this machine's driver, NVRTC, cuBLAS, NCCL and GPUs (stand-in tests skipped)"
    SHARDSCOPE_CUDA_REAL=1 TEST_FILTER=native/cuda node scripts/test.mjs native
    echo "## CUDA backend bench (cuBLAS GEMM, NCCL all-reduce)"
    node bench/run.mjs cuda
  fi
  echo "## collectives bench (CPU backend)"
  node bench/run.mjs collectives
} 2>&1 | tee "$out"
echo "written: $out"
