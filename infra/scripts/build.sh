#!/usr/bin/env bash
# Compiles to dist/ and removes what a moved or deleted source left behind there: a stale `x.js` beside a new `x/`
# folder would be the one `require('./x')` loads. Only orphans are removed, so a system running from dist/ meanwhile
# keeps every file it may still load.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
npx tsc -p tsconfig.json
[ -d dist ] || exit 0
while IFS= read -r -d '' output; do
  source=${output#dist/}
  source=${source%.map}
  [ -f "${source%.js}.ts" ] || rm -f "$output"
done < <(find dist -type f \( -name '*.js' -o -name '*.js.map' \) -print0)
find dist -type d -empty -delete
