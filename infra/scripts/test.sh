#!/usr/bin/env bash
# `npm test`: every suite — unit, persistence on SQLite and on a real PostgreSQL 15, the directory on a
# real OpenLDAP slapd, documents through LibreOffice, workflows on the Java time-skipping test server, and
# the whole system started as `npm start` starts it.
# Type-check, lint and the format check come first and fail the run on their own.
# Extra arguments go to jest (e.g. `npm test -- test/unit`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$root/infra/scripts/lib.sh"
cd "$root"
bash infra/scripts/provision.sh test
use_project_node
echo "node: $(node --version) ($(command -v node))"
bash infra/scripts/build.sh
echo "lint: eslint (type-aware, no warnings allowed)"
npx eslint . --max-warnings 0 || { echo "lint: failed — fix the errors above (npm run lint)" >&2; exit 1; }
echo "format: prettier --check"
npx prettier --check . || { echo "format: files above are not formatted — run npm run format" >&2; exit 1; }

scratch=$(mktemp -d /tmp/recording-test.XXXXXX)
chmod 755 "$scratch"
cleanup() {
  bash infra/scripts/postgres-test.sh stop "$scratch/postgres" || true
  bash infra/scripts/slapd-test.sh stop "$scratch/slapd" || true
  rm -rf "$scratch"
}
trap cleanup EXIT
pg_port=$(free_port)
bash infra/scripts/postgres-test.sh start "$scratch/postgres" "$pg_port"
export TEST_POSTGRES_URL="postgresql://recording@127.0.0.1:$pg_port/recording_test"
ldap_port=$(free_port)
bash infra/scripts/slapd-test.sh start "$scratch/slapd" "$ldap_port"
export TEST_LDAP_URL="ldap://127.0.0.1:$ldap_port"
export TEST_LDAP_ADMIN_PASSWORD_FILE="$scratch/slapd/admin.password"
# Suites that need a server fail rather than skip when it is missing.
export REQUIRE_ALL_SUITES=1

status=0
npx jest --ci --runInBand --json --outputFile="$scratch/jest.json" "$@" || status=$?
node -e '
  const r = require(process.argv[1]);
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  if (r.numPendingTests > 0 || r.numTotalTests === 0) { console.error("a suite was skipped or no test ran"); process.exit(1); }
' "$scratch/jest.json" || status=1
exit $status
