#!/usr/bin/env bash
# The PostgreSQL store tests (tests/core/test_store_contract.py) need a real server. As root:
#   bash .ci/postgres.sh start   installs Debian's postgresql if missing, makes a throwaway
#                                cluster in /tmp/desk-ci-pg that listens only on a unix socket
#                                there, with a database desk_test owned by the role desk_test,
#                                and writes /tmp/desk-ci-pg/env (export DESK_TEST_POSTGRES=...)
#   bash .ci/postgres.sh stop    stops that cluster and removes the directory
# Authentication is peer, mapped: only the OS user who ran `start` logs in as desk_test, or as
# one of the agent roles the rights tests make (tests/core/test_store_postgres_roles.py).
# desk_test owns the database and may create roles (CREATEROLE), as desk's administrator would.
set -euo pipefail
base=${DESK_PG_BASE:-/tmp/desk-ci-pg}  # another base: a private cluster (tests/bench/pg_cluster.sh)
data=$base/data
role=desk_test
agent_roles="alice bob carol"  # LOGIN roles the rights tests create as agents
os_user=$(id -un)

bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$found" ] || [ ! -x "$found/pg_ctl" ]; then
        echo ".ci/postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql" >&2
        exit 1
    fi
    echo "$found"
}

as_postgres() {
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
}

stop() {
    if [ -f "$data/postmaster.pid" ]; then
        as_postgres "$(bindir)/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$base"
}

start() {
    if [ "$(id -u)" != 0 ]; then
        echo ".ci/postgres.sh: run as root (it installs packages and switches to postgres)" >&2
        exit 1
    fi
    if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        # No default cluster on port 5432: the tests use only the throwaway one.
        mkdir -p /etc/postgresql-common
        [ -e /etc/postgresql-common/createcluster.conf ] \
            || echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
        apt-get update -qq
        # confold: keep the createcluster.conf written above over the package's own.
        apt-get install -y -qq -o Dpkg::Options::=--force-confdef \
            -o Dpkg::Options::=--force-confold postgresql >/dev/null
    fi
    local bin
    bin=$(bindir)
    stop  # a cluster left by an earlier run that was killed
    install -d -m 0700 -o postgres -g postgres "$base"
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=reject \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    # Peer authentication through a map: the OS user of `start` is desk_test, postgres is
    # postgres, and nobody else gets in.
    cat >"$data/pg_hba.conf" <<EOF
local all all peer map=desk
EOF
    cat >"$data/pg_ident.conf" <<EOF
desk $os_user $role
desk postgres postgres
EOF
    for agent in $agent_roles; do
        echo "desk $os_user $agent" >>"$data/pg_ident.conf"
    done
    as_postgres "$bin/pg_ctl" -D "$data" -l "$base/server.log" -w \
        -o "-c listen_addresses='' -c unix_socket_directories=$base" start >/dev/null
    as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$base" -U postgres -d postgres <<EOF
CREATE ROLE $role LOGIN CREATEROLE;
CREATE DATABASE desk_test OWNER $role;
\connect desk_test
-- in public, once: a test schema that made it would take it along when dropped
CREATE EXTENSION pg_trgm SCHEMA public;
EOF
    echo "export DESK_TEST_POSTGRES='postgresql:///desk_test?host=$base&user=$role'" >"$base/env"
    chmod 0644 "$base/env"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $base (source $base/env)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: bash .ci/postgres.sh start|stop" >&2; exit 2 ;;
esac
