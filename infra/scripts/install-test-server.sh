#!/usr/bin/env bash
# Resolves the Java time-skipping Temporal test server (io.temporal:temporal-test-server, pinned in
# infra/temporal-test-server/pom.xml) from Maven Central into tools/temporal-test-server/lib, then
# records a class-data-sharing archive so the JVM listens well inside the 5 s the TypeScript SDK waits.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$root/infra/scripts/lib.sh"
pom="$root/infra/temporal-test-server/pom.xml"
target="$root/tools/temporal-test-server"
stamp="$target/.pom-sha256"
want=$(sha256sum "$pom" | cut -d' ' -f1)
if [ -f "$target/app.jsa" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
command -v mvn >/dev/null || { echo "Maven is needed to fetch the Temporal test server; it is not on PATH." >&2; exit 1; }
echo "Temporal test server: resolving from Maven Central into tools/temporal-test-server..."
rm -rf "$target"; mkdir -p "$target/lib"
mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$target/lib"
# One run with -XX:ArchiveClassesAtExit writes the archive the wrapper then maps at every start.
port=$(free_port)
TEMPORAL_TEST_SERVER_ARCHIVE_OUT="$target/app.jsa" "$root/infra/scripts/temporal-test-server" "$port" >"$target/archive.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
kill "$pid"; wait "$pid" 2>/dev/null || true
[ -f "$target/app.jsa" ] || { echo "class-data archive was not written; see $target/archive.log" >&2; exit 1; }
echo "$want" >"$stamp"
echo "Temporal test server ready."
