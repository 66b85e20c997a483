#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1:55432 (installing Debian's
# `postgresql` when missing) and prints its url. `scripts/postgres.sh stop` stops it.
set -euo pipefail
DATA=${PASSKEYS_PG_DATA:-/tmp/rocket-passkeys-pg}
PORT=${PASSKEYS_PG_PORT:-55432}

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

if [ "${1:-start}" = stop ]; then
  BIN=$(bin_dir)
  [ -n "$BIN" ] && [ -d "$DATA" ] && as_postgres "$BIN/pg_ctl -D $DATA -m fast stop" >/dev/null || true
  rm -rf "$DATA"
  exit 0
fi

if [ -z "$(bin_dir)" ]; then
  echo "installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN=$(bin_dir)

# A cluster left running by an earlier, interrupted run is stopped first.
[ -d "$DATA" ] && as_postgres "$BIN/pg_ctl -D $DATA -m fast stop" >/dev/null 2>&1 || true
rm -rf "$DATA"
mkdir -p "$DATA"
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
as_postgres "$BIN/initdb -D $DATA -A trust -U postgres" >/dev/null
as_postgres "$BIN/pg_ctl -D $DATA -l $DATA/server.log -w -o \"-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off -c max_connections=300\" start" >/dev/null
echo "postgres://postgres@127.0.0.1:$PORT"
