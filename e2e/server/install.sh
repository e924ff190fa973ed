#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100, the last release on Node 20) and playwright-core here.
# Nothing is downloaded from outside the npm registry: @vscode/ripgrep's postinstall would fetch ripgrep
# from GitHub, so its cache is seeded with the system's rg (Debian's ripgrep package).
set -euo pipefail
cd "$(dirname "$0")"
[ -x node_modules/.bin/code-server ] && [ -d node_modules/playwright-core ] && exit 0
command -v rg >/dev/null || { echo "install.sh: needs ripgrep (apt-get install -y ripgrep)" >&2; exit 1; }
export TMPDIR="$PWD/.tmp"
cache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
d=$(mktemp -d)
cp "$(command -v rg)" "$d/rg"
tar czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$d" rg
rm -rf "$d"
# code-server's postinstall refuses to run as root unless npm_config_unsafe_perm is true (npm 11 no longer
# knows the setting and says so in one warning line; the install needs it all the same).
export npm_config_unsafe_perm=true npm_config_yes=true
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
