#!/usr/bin/env bash
# Runs every test against a real PostgreSQL and prints one line: "N passed, N failed".
# With POSITIONLEDGER_TEST_CONNECTION set it uses that database; otherwise it starts a throwaway local
# PostgreSQL (fsync off: test data only) and removes it afterwards. Extra arguments go to dotnet test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -z "${POSITIONLEDGER_TEST_CONNECTION:-}" ]; then
  pg_dir=.data/test-postgres
  deploy/local-postgres.sh remove "$pg_dir" 2>/dev/null || true
  # The first free port from 55433 (or POSITIONLEDGER_TEST_PG_PORT), so another PostgreSQL is no obstacle.
  pg_port=$(deploy/local-postgres.sh free-port "${POSITIONLEDGER_TEST_PG_PORT:-55433}")
  # The replica tests make .data/test-replica beside it; a run that dies leaves neither behind.
  trap 'deploy/local-postgres.sh remove .data/test-replica 2>/dev/null; deploy/local-postgres.sh remove "$pg_dir"' EXIT
  POSITIONLEDGER_TEST_CONNECTION=$(deploy/local-postgres.sh start "$pg_dir" "$pg_port" --throwaway)
  export POSITIONLEDGER_TEST_CONNECTION
fi

# The web tests drive the machine's Chromium (Debian's package); Playwright downloads nothing.
if [ -z "${POSITIONLEDGER_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests..."
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# The API description's lint runs Redocly's CLI through npx (pinned in the test); Debian's Node if there is none.
if ! command -v npx >/dev/null; then
  echo "Installing Debian's nodejs and npm for the OpenAPI lint..."
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

results=TestResults
rm -rf "$results"
status=0
dotnet test PositionLedger.sln --logger "trx" --results-directory "$results" "$@" || status=$?

# dotnet test's own summary is per assembly; sum every .trx into the one line CI reads.
totals=$(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); sum[kv[1]] += kv[2] } }
  END { printf "%d %d %d %d", sum["total"], sum["executed"], sum["passed"], sum["failed"] }')
read -r total executed passed failed <<<"${totals:-0 0 0 0}"
skipped=$((total - executed))
if [ "$total" -eq 0 ] && [ "$status" -eq 0 ]; then status=1; echo "No tests ran."; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
