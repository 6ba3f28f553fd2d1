#!/usr/bin/env bash
# Sends many hostile requests to every route of the app (the property test when_a_hostile_client_sends_anything)
# and prints one summary line: cases tried, 5xx seen, 4xx without a named field, events appended on a 4xx; then
# every failure class with the seed of an example.
#   deploy/fuzz.sh [--cases N] [--seed SEED] [extra dotnet test arguments]
# --cases: how many requests (default 20000). --seed: a CsCheck seed from an earlier report, to send the same
# requests again (with --cases 1, just the one that failed).
# With POSITIONLEDGER_TEST_CONNECTION set it uses that database; otherwise it starts a throwaway local
# PostgreSQL (fsync off: test data only) and removes it afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cases=20000
seed=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

if [ -z "${POSITIONLEDGER_TEST_CONNECTION:-}" ]; then
  pg_dir=.data/fuzz-postgres
  pg_port=${POSITIONLEDGER_FUZZ_PG_PORT:-55434}
  deploy/local-postgres.sh stop "$pg_dir" 2>/dev/null || true
  rm -rf "$pg_dir"
  POSITIONLEDGER_TEST_CONNECTION=$(deploy/local-postgres.sh start "$pg_dir" "$pg_port" --throwaway)
  export POSITIONLEDGER_TEST_CONNECTION
  trap 'deploy/local-postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
fi

results=TestResults/fuzz
rm -rf "$results"
mkdir -p "$results"
export POSITIONLEDGER_FUZZ_CASES=$cases
export POSITIONLEDGER_FUZZ_REPORT="$root/$results/report.txt"
if [ -n "$seed" ]; then export POSITIONLEDGER_FUZZ_SEED=$seed; fi

status=0
dotnet test tests/PositionLedger.Tests --filter "FullyQualifiedName~when_a_hostile_client_sends_anything" \
  --results-directory "$results" "${args[@]}" >"$results/dotnet-test.log" 2>&1 || status=$?

if [ ! -s "$POSITIONLEDGER_FUZZ_REPORT" ]; then
  tail -n 40 "$results/dotnet-test.log"
  echo "fuzz: no report (the test did not run to the end); see $results/dotnet-test.log"
  exit 1
fi
# The report's first line is the summary; the failure classes follow.
tail -n +2 "$POSITIONLEDGER_FUZZ_REPORT"
echo
head -n 1 "$POSITIONLEDGER_FUZZ_REPORT"
exit "$status"
