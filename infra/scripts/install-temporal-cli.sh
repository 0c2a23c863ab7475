#!/usr/bin/env bash
# Builds the Temporal CLI (dev server included) into tools/bin with the machine's Go, once.
# Reused while tools/bin/temporal exists at the pinned version.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=v1.5.1
bin_dir="$root/tools/bin"
stamp="$bin_dir/.temporal-version"
if [ -x "$bin_dir/temporal" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then exit 0; fi
command -v go >/dev/null || { echo "Go is needed to build the Temporal CLI (go install); it is not on PATH." >&2; exit 1; }
echo "Temporal CLI $version: building with 'go install' into tools/bin — the first build takes a few minutes..."
mkdir -p "$bin_dir"
started=$(date +%s)
GOBIN="$bin_dir" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$version"
echo "$version" >"$stamp"
echo "Temporal CLI $version built in $(( $(date +%s) - started )) s."
