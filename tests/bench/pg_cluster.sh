#!/usr/bin/env bash
# A private PostgreSQL cluster for the benchmarks (bench_postgres.py), made by .ci/postgres.sh's
# steps in /tmp/desk-pgbench-pg: the shared test cluster /tmp/desk-ci-pg is no place for them
# (other test runs end every 'desk' connection there). As root:
#   bash tests/bench/pg_cluster.sh start   then: . /tmp/desk-pgbench-pg/env
#   bash tests/bench/pg_cluster.sh stop
# Settings of a server sized for a desk of 1M tickets (and for the bulk load of _pg_big.py):
# more shared buffers and WAL between checkpoints than initdb's defaults.
set -euo pipefail
export DESK_PG_BASE=/tmp/desk-pgbench-pg
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
    start)
        bash "$here/../../.ci/postgres.sh" start
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/psql" -X -q \
            -v ON_ERROR_STOP=1 -h "$DESK_PG_BASE" -U postgres -d postgres <<SQL
ALTER SYSTEM SET shared_buffers = '1GB';
ALTER SYSTEM SET max_wal_size = '8GB';
ALTER SYSTEM SET checkpoint_timeout = '30min';
ALTER SYSTEM SET maintenance_work_mem = '512MB';
ALTER SYSTEM SET work_mem = '32MB';
SQL
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/pg_ctl" \
            -D "$DESK_PG_BASE/data" -l "$DESK_PG_BASE/server.log" -w restart >/dev/null
        echo "restarted with the bench's settings; . $DESK_PG_BASE/env" ;;
    stop) bash "$here/../../.ci/postgres.sh" stop ;;
    *) echo "usage: bash tests/bench/pg_cluster.sh start|stop" >&2; exit 2 ;;
esac
