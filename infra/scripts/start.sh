#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, and runs the whole system on its embedded defaults
# (or on the servers the environment names). Ctrl-C stops everything it started.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$root/infra/scripts/lib.sh"
cd "$root"
bash infra/scripts/provision.sh start
use_project_node
bash infra/scripts/build.sh
exec node dist/app/main.js "$@"
