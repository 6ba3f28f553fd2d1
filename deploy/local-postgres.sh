#!/usr/bin/env bash
# A private PostgreSQL cluster from Debian's server binaries, for running and testing without Docker.
#   deploy/local-postgres.sh start <data-dir> <port> [--throwaway]   prints the connection string
#   deploy/local-postgres.sh stop  <data-dir>
#   deploy/local-postgres.sh crash <data-dir>         stops it the hard way (pg_ctl -m immediate), for crash tests
# --throwaway turns off fsync and synchronous commit: tests only, never for data you keep.
set -euo pipefail

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL server binaries not found; installing Debian's postgresql package..." >&2
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    # Debian starts its own cluster on 5432; we run our own on a port of our choosing.
    $sudo service postgresql stop >/dev/null 2>&1 || true
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$bin"
}

# initdb refuses to run as root, so root runs the cluster as the postgres user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir=$1 port=$2 mode=${3:-}
  local bin; bin=$(pg_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir" && chmod 700 "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  # An idle transaction holding an event sequence number stalls the async projections: end such sessions.
  # Memory and WAL sized for a machine with gigabytes to spare (Debian's defaults are 128 MB and 1 GB): bulk
  # loads and rebuilds otherwise checkpoint every few seconds. Durability is unchanged.
  local opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c idle_in_transaction_session_timeout=60s"
  opts="$opts -c shared_buffers=${POSITIONLEDGER_PG_SHARED_BUFFERS:-1GB} -c max_wal_size=8GB -c checkpoint_timeout=15min"
  if [ "$mode" = "--throwaway" ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w start >/dev/null
  fi
  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

stop() {
  local dir=$1
  local bin; bin=$(pg_bin)
  if [ -f "$dir/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  fi
}

crash() {
  local dir=$1
  local bin; bin=$(pg_bin)
  as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
}

case "${1:-}" in
  start) start "$2" "$3" "${4:-}" ;;
  stop) stop "$2" ;;
  crash) crash "$2" ;;
  *) echo "usage: $0 start <data-dir> <port> [--throwaway] | stop <data-dir> | crash <data-dir>" >&2; exit 2 ;;
esac
