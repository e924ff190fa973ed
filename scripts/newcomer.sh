#!/usr/bin/env bash
# A new user's first hour, as a test: clones this checkout's committed HEAD into a temporary folder and
# runs the README's "Set up and run" and "Test" commands exactly as the README writes them (read from it,
# so the two cannot drift): the set-up block until `npm start` answers on the URL it prints, then stops
# it; then the test block, which must pass. Exit 0 only when both did.
#   bash scripts/newcomer.sh [--keep DIR]   DIR: clone there and leave it (for more tests in the same set-up)
# Root runs the README's apt-get line as it is; anyone else runs it through sudo.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
keep=""
if [ "${1:-}" = "--keep" ]; then keep="${2:?--keep needs a folder}"; fi
START_TIMEOUT_S="${NEWCOMER_START_TIMEOUT_S:-2400}"

t0=$(date +%s)
say() { echo "newcomer [$(($(date +%s) - t0)) s]: $*"; }

# The first ```sh block after a heading of the README in the current folder, as written.
block() {
  awk -v h="$1" '$0 == h { inside = 1; next } inside && /^## / { exit } inside && /^```sh$/ { grab = 1; next } grab && /^```$/ { exit } grab { print }' README.md
}
if [ -n "$keep" ]; then
  rm -rf "$keep"
  mkdir -p "$(dirname "$keep")"
  dir="$keep"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/shardscope-newcomer-XXXXXX")"
  dir="$work/shardscope"
fi
server=""
cleanup() {
  # The server's whole process group (npm, node, code-server), then the clone unless it is kept.
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM -- "-$server" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server" 2>/dev/null || true
  fi
  if [ -z "$keep" ]; then rm -rf "$work"; fi
  [ -z "${log:-}" ] || rm -f "$log"
}
trap cleanup EXIT

git clone --quiet --no-hardlinks "$ROOT" "$dir"
cd "$dir"
say "cloned $(git rev-parse --short HEAD) into $dir"
# The commands of the README of the commit cloned.
setup="$(block '## Set up and run')"
tests="$(block '## Test')"
[ -n "$setup" ] || { echo "newcomer: README.md has no sh block under '## Set up and run'" >&2; exit 1; }
[ -n "$tests" ] || { echo "newcomer: README.md has no sh block under '## Test'" >&2; exit 1; }

# The README's apt-get line through sudo for a user who is not root.
if [ "$(id -u)" != 0 ]; then
  apt-get() { sudo apt-get "$@"; }
  export -f apt-get
fi

# A free port, so that a server already on the README's 8080 does not answer for this one.
PORT="$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
export PORT
log="$(mktemp "${TMPDIR:-/tmp}/shardscope-newcomer-start-XXXXXX.log")"
say "set-up, as the README writes it (PORT=$PORT):"
sed 's/^/  /' <<<"$setup"
setsid bash -eo pipefail -c "$setup" >"$log" 2>&1 &
server=$!

url=""
deadline=$(($(date +%s) + START_TIMEOUT_S))
while :; do
  if ! kill -0 "$server" 2>/dev/null; then
    tail -n 40 "$log" >&2
    echo "newcomer: the set-up commands ended before npm start served (log above)" >&2
    exit 1
  fi
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/[^ ]*' "$log" | head -n 1 || true)"
  [ -n "$url" ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 40 "$log" >&2
    echo "newcomer: npm start printed no URL within ${START_TIMEOUT_S} s" >&2
    exit 1
  fi
  sleep 2
done
case "$url" in *":$PORT/"*) ;; *) echo "newcomer: npm start printed $url, not on PORT=$PORT" >&2; exit 1 ;; esac
status="$(node -e "fetch(process.argv[1]).then((r) => console.log(r.status), (e) => console.log('failed: ' + e.message))" "$url")"
if [ "$status" != 200 ]; then
  tail -n 40 "$log" >&2
  echo "newcomer: $url answered $status" >&2
  exit 1
fi
say "npm start answers on $url (HTTP 200); stopping it"
kill -TERM -- "-$server" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
kill -0 "$server" 2>/dev/null && { echo "newcomer: npm start did not stop on SIGTERM" >&2; exit 1; }
server=""

# What the set-up left behind in the clone: a newcomer's checkout stays clean.
dirty="$(git status --porcelain)"
if [ -n "$dirty" ]; then
  echo "newcomer: the set-up left the checkout dirty:" >&2
  echo "$dirty" >&2
  exit 1
fi

say "tests, as the README writes them:"
sed 's/^/  /' <<<"$tests"
bash -eo pipefail -c "$tests"
say "set-up and tests passed"
