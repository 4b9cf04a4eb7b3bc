#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and the bench. Installs nothing.
#   scripts/pg-test-server.sh start   initdb into a temp folder, pg_ctl start on a free local port,
#                                     load test/fixtures/postgres.sql; prints STRATUM_PG_URL=... and STRATUM_PG_DIR=...
#   scripts/pg-test-server.sh stop DIR    stop that cluster and delete its folder
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (created if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

bindir() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$found" ] && [ -x "$found/initdb" ] || { echo "PostgreSQL server binaries not found (no initdb on PATH or under /usr/lib/postgresql/*/bin)" >&2; exit 1; }
  echo "$found"
}

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "${1:-}" in
  start)
    bin="$(bindir)"
    if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then useradd --system --create-home postgres; fi
    dir="$(mktemp -d "${TMPDIR:-/tmp}/stratum-pg-XXXXXX")"
    chmod 755 "$dir"
    mkdir -p "$dir/data" "$dir/socket"
    [ "$(id -u)" = "0" ] && chown -R postgres "$dir"
    port="$(free_port)"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    url="postgres://postgres@127.0.0.1:$port/stratum_test"
    "$bin/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE stratum_test" >/dev/null
    "$bin/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d stratum_test -f "$here/test/fixtures/postgres.sql" >/dev/null
    echo "STRATUM_PG_URL=$url"
    echo "STRATUM_PG_DIR=$dir"
    ;;
  stop)
    dir="${2:-${STRATUM_PG_DIR:-}}"
    [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "usage: $0 stop DIR (the STRATUM_PG_DIR that start printed)" >&2; exit 2; }
    bin="$(bindir)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
