#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, and runs the whole system on its embedded defaults
# (or on the servers the environment names). Ctrl-C stops everything it started.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bash infra/scripts/provision.sh start
bash infra/scripts/build.sh
exec node dist/app/main.js "$@"
