#!/usr/bin/env bash
# A private PostgreSQL cluster from Debian's server binaries, for running and testing without Docker.
#   deploy/local-postgres.sh start <data-dir> <port> [--throwaway]   prints the connection string
#   deploy/local-postgres.sh stop  <data-dir>
#   deploy/local-postgres.sh remove <data-dir>        stops it and deletes its data
#   deploy/local-postgres.sh crash <data-dir>         stops it the hard way (pg_ctl -m immediate), for crash tests
#   deploy/local-postgres.sh free-port <first-port>   prints the first port from there that nothing listens on
#   deploy/local-postgres.sh replica <data-dir> <port> <primary-port> [--throwaway]
#                                                     a streaming replica of the cluster on <primary-port> (pg_basebackup -R);
#                                                     prints its connection string; stop and remove it as any cluster
# --throwaway turns off fsync and synchronous commit: tests only, never for data you keep.
# Run as root, the cluster runs as the postgres user, which cannot enter a checkout under a private home
# (/root is mode 700): the cluster's data then lives under /var/lib/positionledger instead, at a path
# derived from <data-dir>, and every command here finds it there.
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
  # From /: the postgres user may not be able to enter the current directory.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where the cluster of <data-dir> really lives (see the note at the top).
cluster_dir() {
  local dir; dir=$(realpath -m "$1")
  # Decided by the nearest folder that exists, so that the answer is the same before and after .data is made.
  local parent; parent=$(dirname "$dir")
  while [ ! -e "$parent" ]; do parent=$(dirname "$parent"); done
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && ! (cd / && runuser -u postgres -- test -x "$parent"); then
    echo "/var/lib/positionledger/$(printf '%s' "$dir" | sha256sum | cut -c1-16)"
  else
    echo "$dir"
  fi
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port=$1
  while listening "$port"; do port=$((port + 1)); done
  echo "$port"
}

start() {
  local given=$1 port=$2 mode=${3:-}
  local bin; bin=$(pg_bin)
  local dir; dir=$(cluster_dir "$given")
  [ "$dir" != "$(realpath -m "$given")" ] && echo "PostgreSQL's user cannot enter $given; its cluster lives in $dir." >&2
  mkdir -p "$dir"
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
  if as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    # Already running (an earlier start): on the port it was started on.
    port=$(sed -n 4p "$dir/postmaster.pid")
  else
    if listening "$port"; then
      echo "Port $port on 127.0.0.1 is taken by another program: choose another (see the README for the variable)." >&2
      exit 1
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w start >/dev/null; then
      echo "PostgreSQL did not start; its log is $dir/server.log, ending:" >&2
      tail -n 20 "$dir/server.log" >&2 || true
      exit 1
    fi
  fi
  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

replica() {
  local given=$1 port=$2 primary_port=$3 mode=${4:-}
  local bin; bin=$(pg_bin)
  local dir; dir=$(cluster_dir "$given")
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir" && chmod 700 "$dir"
    # -R writes the standby's settings (primary_conninfo, standby.signal); -X stream copies the WAL it needs.
    if ! as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir" -R -X stream -c fast >&2; then
      echo "pg_basebackup from port $primary_port failed (the primary must accept replication connections from 127.0.0.1)." >&2
      exit 1
    fi
    rm -f "$dir/postmaster.pid" "$dir/server.log"
  fi
  start "$given" "$port" "$mode"
}

stop() {
  local dir; dir=$(cluster_dir "$1")
  local bin; bin=$(pg_bin)
  if [ -f "$dir/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  fi
}

remove() {
  stop "$1"
  rm -rf "$(cluster_dir "$1")" "$1"
}

crash() {
  local dir; dir=$(cluster_dir "$1")
  local bin; bin=$(pg_bin)
  as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
}

case "${1:-}" in
  start) start "$2" "$3" "${4:-}" ;;
  stop) stop "$2" ;;
  remove) remove "$2" ;;
  crash) crash "$2" ;;
  free-port) free_port "$2" ;;
  replica) replica "$2" "$3" "$4" "${5:-}" ;;
  *) echo "usage: $0 start <data-dir> <port> [--throwaway] | stop <data-dir> | remove <data-dir> | crash <data-dir> | free-port <port> | replica <data-dir> <port> <primary-port>" >&2
     exit 2 ;;
esac
