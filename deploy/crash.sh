#!/usr/bin/env bash
# Crash test (see README): writers append through the HTTP API while the app is SIGKILLed and restarted,
# then while PostgreSQL is stopped with pg_ctl -m immediate and restarted. Prints acknowledged, found,
# lost, duplicates and recovery times; exits non-zero unless lost = 0, duplicates = 0 and the read
# models equal a rebuild. Uses its own durable PostgreSQL (fsync and synchronous commit on).
#   deploy/crash.sh [--writers 8] [--seconds 5]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

pg_dir=.data/crash-postgres
pg_port=${POSITIONLEDGER_CRASH_PG_PORT:-55435}
deploy/local-postgres.sh remove "$pg_dir" 2>/dev/null || true
POSITIONLEDGER_CRASH_CONNECTION="$(deploy/local-postgres.sh start "$pg_dir" "$pg_port")"
export POSITIONLEDGER_CRASH_CONNECTION POSITIONLEDGER_CRASH_PGDATA="$pg_dir" POSITIONLEDGER_CRASH_PGPORT="$pg_port"
trap 'deploy/local-postgres.sh remove "$pg_dir"' EXIT

echo "Publishing the app (Release, ReadyToRun)..."
dotnet publish src/PositionLedger.Api -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o .data/bench-app -v quiet --nologo -clp:ErrorsOnly
export POSITIONLEDGER_BENCH_APP="$root/.data/bench-app/PositionLedger.Api.dll"
dotnet build tests/PositionLedger.Benchmarks -c Release -v quiet --nologo -clp:ErrorsOnly
dotnet tests/PositionLedger.Benchmarks/bin/Release/net10.0/PositionLedger.Benchmarks.dll crash "$@"
