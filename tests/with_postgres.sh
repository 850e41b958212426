#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server on 127.0.0.1 and
# MONEV_TEST_POSTGRES_URL pointing at it. Without PostgreSQL binaries the command
# runs as is (PostgreSQL tests then skip locally; under CI=true they fail).
set -euo pipefail
if [ -n "${MONEV_TEST_POSTGRES_URL:-}" ]; then exec "$@"; fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with_postgres: no PostgreSQL found; PostgreSQL tests will be skipped" >&2
  exec "$@"
fi
port=${MONEV_TEST_PG_PORT:-55432}
dir=$(mktemp -d /tmp/monev-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U monev --auth=trust -E UTF8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
cleanup() { "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U monev monev_test
export MONEV_TEST_POSTGRES_URL="postgresql://monev@127.0.0.1:$port/monev_test"
"$@"
