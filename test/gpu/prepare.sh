#!/usr/bin/env bash
# Run HERE, on a machine with node_modules (not on the GPU machine): builds and stages everything
# test/gpu/run.sh needs on a GPU machine that can fetch nothing, then prints the paths to carry there,
# one a line (their total must stay under 64 MiB):
#   native/build/Release/shardscope_native.node  the addon (rebuilt when native/ is newer)
#   dist/                                        npm run build: the runtime child the runs fork
#   node_modules/esbuild                         the native tests' helpers bundle the runtime child with it
#   test/gpu/.carry/                             the bundled scripts and native tests (bundle.mjs), this
#                                                machine's node binary (xz), a manifest of what was built
# Usage: bash test/gpu/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CARRY=test/gpu/.carry
ADDON=native/build/Release/shardscope_native.node
LIMIT=$((64 * 1024 * 1024))

[ -x node_modules/esbuild/bin/esbuild ] || { echo "prepare.sh: node_modules/esbuild is missing: npm ci first" >&2; exit 1; }
if [ ! -f "$ADDON" ] || [ -n "$(find native/src native/binding.gyp -newer "$ADDON" -print -quit)" ]; then
  echo "prepare.sh: building the addon (native/ is newer than $ADDON)" >&2
  npm run install --silent >&2
fi
npm run build --silent >&2
node test/gpu/bundle.mjs >&2
mkdir -p "$CARRY"
node_bin=$(node -p process.execPath)
if [ ! -f "$CARRY/node.xz" ] || [ "$node_bin" -nt "$CARRY/node.xz" ] || [ "$(cat "$CARRY/node.version" 2>/dev/null)" != "$(node --version)" ]; then
  echo "prepare.sh: compressing $node_bin ($(node --version))" >&2
  xz -T1 -6 -c "$node_bin" >"$CARRY/node.xz.tmp"
  mv "$CARRY/node.xz.tmp" "$CARRY/node.xz"
  node --version >"$CARRY/node.version"
fi
{
  echo "prepared $(date -u +%FT%TZ) on $(hostname) from $(git rev-parse --short HEAD) with $(git status --porcelain | wc -l) changed path(s)"
  echo "node $(node --version), addon sha256 $(sha256sum "$ADDON" | cut -c1-16), built $(date -u -r "$ADDON" +%FT%TZ)"
} >"$CARRY/manifest.txt"

paths=("$ADDON" dist node_modules/esbuild "$CARRY")
total=$(du -cbL "${paths[@]}" | tail -1 | cut -f1)
du -shL "${paths[@]}" >&2
echo "prepare.sh: $((total / 1024 / 1024)) MiB to carry (limit 64 MiB)" >&2
[ "$total" -lt "$LIMIT" ] || { echo "prepare.sh: over the 64 MiB a carry may hold" >&2; exit 1; }
printf '%s\n' "${paths[@]}"
