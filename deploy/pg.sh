#!/usr/bin/env bash
# A private PostgreSQL for tests and the demo: its own cluster, owned by the postgres user (PostgreSQL
# refuses to run as root), listening only on a unix socket in a project-local directory.
#   deploy/pg.sh start   initdb if needed, start, create database "isomine"; prints export lines
#   deploy/pg.sh stop    stop the server (the data directory stays)
#   deploy/pg.sh running exit 0 when the server is running, 1 when not
#   deploy/pg.sh destroy stop and delete the cluster
# ISOMINE_PG_DIR overrides the directory (default: <project>/.tmp/pg).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "error: PostgreSQL server binaries not found under /usr/lib/postgresql (run deploy/install-deps.sh)" >&2; exit 1; }
dir=${ISOMINE_PG_DIR:-$PWD/.tmp/pg}
# Unix socket paths are limited to ~107 bytes: fall back to a per-project directory under /tmp.
if [ -z "${ISOMINE_PG_DIR:-}" ] && [ ${#dir} -gt 70 ]; then
  dir=/tmp/isomine-pg-$(printf '%s' "$PWD" | md5sum | cut -c1-12)
fi
data=$dir/data
socket=$dir/socket

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

case "${1:-}" in
  start)
    mkdir -p "$dir" "$socket"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$dir" "$socket"
      # The postgres user must be able to reach the directory through its parents.
      if ! runuser -u postgres -- test -x "$dir"; then
        echo "error: the postgres user cannot reach $dir; set ISOMINE_PG_DIR to a directory it can (e.g. under /tmp)" >&2
        exit 1
      fi
    fi
    if ! { [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }; then
      # A server of another cluster on this socket directory (left running by an earlier checkout at
      # this path, whose data directory is gone) removes the socket when it notices and shuts down,
      # taking this server's socket with it: refuse rather than start beside it.
      lock=$socket/.s.PGSQL.5432.lock
      if [ -f "$lock" ]; then
        holder=$(head -n 1 "$lock" 2>/dev/null || true)
        if [ -n "$holder" ] && kill -0 "$holder" 2>/dev/null; then
          echo "error: another PostgreSQL server (pid $holder) holds the socket directory $socket — a cluster left running by an earlier checkout at this path? Stop it (kill $holder) and start again" >&2
          exit 1
        fi
      fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_postgres "$bin/initdb" -D "$data" -A trust -U postgres --no-sync >/dev/null
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_postgres "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$socket' -c fsync=off" start >/dev/null
    fi
    as_postgres "$bin/psql" -h "$socket" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'isomine'" | grep -q 1 \
      || as_postgres "$bin/createdb" -h "$socket" -U postgres isomine
    echo "export PGHOST='$socket' PGUSER=postgres PGDATABASE=isomine"
    echo "export DATABASE_URL='postgresql://postgres@/isomine?host=$socket'"
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    ;;
  running)
    [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
    ;;
  destroy)
    "$0" stop
    rm -rf "$dir"
    ;;
  *)
    echo "usage: deploy/pg.sh start|stop|running|destroy" >&2
    exit 2
    ;;
esac
