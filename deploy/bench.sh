#!/usr/bin/env bash
# Benchmarks B1-B11 of PositionLedger (docs/benchmarks.md), with their baselines measured in the same run.
#   deploy/bench.sh [--statements N]     default 1,000,000; puts the run into docs/benchmarks.md, writes docs/benchmarks-latest-run.md and docs/benchmarks.json
# Uses POSITIONLEDGER_BENCH_CONNECTION when set; otherwise a fresh local PostgreSQL with DURABLE settings
# (fsync and synchronous commit on) in .data/bench-postgres, removed afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -z "${POSITIONLEDGER_BENCH_CONNECTION:-}" ]; then
  pg_dir=.data/bench-postgres
  deploy/local-postgres.sh remove "$pg_dir" 2>/dev/null || true
  POSITIONLEDGER_BENCH_CONNECTION="$(deploy/local-postgres.sh start "$pg_dir" "${POSITIONLEDGER_BENCH_PG_PORT:-55434}");Maximum Pool Size=200"
  export POSITIONLEDGER_BENCH_CONNECTION
fi
# An aborted run must not leave its app behind: the next run's app could not take the port, and requests would
# reach the old one.
cleanup() {
  pkill -f "$root/.data/bench-app/PositionLedger.Api.dll" 2>/dev/null || true
  pkill -f "positionledger-nginx-" 2>/dev/null || true
  deploy/local-postgres.sh remove .data/bench-replica 2>/dev/null || true
  if [ -n "${pg_dir:-}" ]; then deploy/local-postgres.sh remove "$pg_dir"; fi
}
trap cleanup EXIT

# B8 drives the page in the machine's Chromium (Debian's package), as the web tests do.
if [ -z "${POSITIONLEDGER_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for B8..."
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# The app as it is deployed: published with ReadyToRun (ahead-of-time compiled IL, faster start-up).
echo "Publishing the app (Release, ReadyToRun)..."
dotnet publish src/PositionLedger.Api -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o .data/bench-app -v quiet --nologo -clp:ErrorsOnly
export POSITIONLEDGER_BENCH_APP="$root/.data/bench-app/PositionLedger.Api.dll"
dotnet build tests/PositionLedger.Benchmarks -c Release -v quiet --nologo -clp:ErrorsOnly
dotnet tests/PositionLedger.Benchmarks/bin/Release/net10.0/PositionLedger.Benchmarks.dll "$@"
