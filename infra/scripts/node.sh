#!/usr/bin/env bash
# Runs Node.js 24 with the given arguments: tools/node when install-node.sh put it there (the machine's Node is
# another major), else the machine's own. The npm scripts that run compiled tools go through it, so they load the
# native addons (better-sqlite3) built for Node 24 even when npm itself was started with an older Node.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$root/infra/scripts/lib.sh"
use_project_node
exec node "$@"
