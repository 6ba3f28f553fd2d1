#!/usr/bin/env bash
# Runs PositionLedger on http://127.0.0.1:5080 (PORT overrides).
# With ConnectionStrings__PositionLedger set it uses that database. Otherwise it starts a local PostgreSQL
# of its own (Debian's server binaries, installed if missing; data kept in .data/postgres across runs,
# with durable settings) and stops it again when the app stops (Ctrl-C).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${PORT:-5080}

if [ -z "${ConnectionStrings__PositionLedger:-}" ]; then
  # Another PostgreSQL may hold the usual ports: unless told which, take the first free one from 5433.
  pg_port=${POSITIONLEDGER_PG_PORT:-$(deploy/local-postgres.sh free-port 5433)}
  ConnectionStrings__PositionLedger=$(deploy/local-postgres.sh start .data/postgres "$pg_port")
  echo "Local PostgreSQL: $ConnectionStrings__PositionLedger (data in .data/postgres; POSITIONLEDGER_PG_PORT picks the port)"
  export ConnectionStrings__PositionLedger
  trap 'echo "Stopping local PostgreSQL..."; deploy/local-postgres.sh stop .data/postgres' EXIT
fi

# Writes need an editor key. Unless keys are configured, make a local one (kept in .data/editor-key).
editor_note=""
if [ -z "${Auth__ApiKeys__0__Key:-}" ]; then
  mkdir -p .data
  if [ ! -s .data/editor-key ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > .data/editor-key)
  fi
  export Auth__ApiKeys__0__Key="$(cat .data/editor-key)" Auth__ApiKeys__0__Name=local-editor Auth__ApiKeys__0__Role=editor
  editor_note="  local editor key:  $Auth__ApiKeys__0__Key   (send as: Authorization: Bearer <key>)"
fi

echo "Building..."
dotnet build src/PositionLedger.Api -c Release -v quiet --nologo -clp:ErrorsOnly
app=(dotnet src/PositionLedger.Api/bin/Release/net10.0/PositionLedger.Api.dll)

# Applies the schema and loads the seeds; seeding is idempotent, so a restart appends nothing.
"${app[@]}" seed seeds

cat <<MSG

PositionLedger is starting on http://127.0.0.1:$port
  web page:          http://127.0.0.1:$port/
  stances as of 13 March 2025:
                     curl 'http://127.0.0.1:$port/api/stances?asOf=2025-03-13'
  Russia's stance:   curl 'http://127.0.0.1:$port/api/parties/russia/stance?asOf=2025-03-13'
  API reference:     http://127.0.0.1:$port/docs
$editor_note
Press Ctrl-C to stop.

MSG
# In the background so that Ctrl-C or a TERM to this script stops the app first, then PostgreSQL.
"${app[@]}" --urls "http://127.0.0.1:$port" &
app_pid=$!
trap 'kill -TERM "$app_pid" 2>/dev/null || true' INT TERM
wait "$app_pid" || true
wait "$app_pid" 2>/dev/null || true
