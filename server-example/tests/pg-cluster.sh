#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the server's tests, on 127.0.0.1 at a free
# port, in a temporary directory owned by a non-root user.
#
#   pg-cluster.sh start [PID]   start one; print its URL (a superuser, no password).
#                               With PID, a watcher stops and removes the cluster
#                               once that process has ended (a test binary that
#                               panics or is killed leaves nothing behind).
#   pg-cluster.sh stop URL      stop the cluster serving URL (started here).
#   pg-cluster.sh createdb URL  create a fresh database on URL's cluster; print its URL.
#   pg-cluster.sh run CMD...    start one, run CMD with ALERTGATE_TEST_POSTGRES_URL
#                               set, stop it; CMD's exit status.
#   pg-cluster.sh ctl URL stop|start  stop or start the server (the data is kept).
#
# The tests measure correctness, not durability: the cluster runs without fsync
# unless ALERTGATE_PG_DURABLE=1 (the benchmark's, to compare like with like).
set -euo pipefail

if [ "${ALERTGATE_PG_DURABLE:-}" = 1 ]; then
    pg_opts="-c max_connections=300"
else
    pg_opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg-cluster.sh: initdb not found (apt-get install -y postgresql)" >&2
    exit 1
fi

# PostgreSQL refuses to run as root: as root, run it as a user of its own.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}
if [ "$(id -u)" = 0 ]; then
    owner=postgres
    id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home "$owner"
fi

# The directory of the cluster serving URL: its port names it.
dir_of() {
    local port=${1##*:}
    port=${port%%/*}
    cat "${TMPDIR:-/tmp}/alertgate-pg-$port"
}

psql_url() {
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

case "${1:-}" in
start)
    watch=${2:-}
    dir=$(mktemp -d "${TMPDIR:-/tmp}/alertgate-pg.XXXXXX")
    [ "$(id -u)" = 0 ] && chown "$owner" "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U alertgate --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
    # A free port: bind to 0 and read it back (a race with another process is
    # retried below).
    for _ in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-h 127.0.0.1 -p $port -k $dir $pg_opts" \
            start >/dev/null; then
            echo "$dir" >"${TMPDIR:-/tmp}/alertgate-pg-$port"
            if [ -n "$watch" ]; then
                setsid bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; \
                    runuser -u $owner -- $bin/pg_ctl -D $dir/data -m immediate stop >/dev/null 2>&1 \
                    || $bin/pg_ctl -D $dir/data -m immediate stop >/dev/null 2>&1; \
                    rm -rf $dir ${TMPDIR:-/tmp}/alertgate-pg-$port" </dev/null >/dev/null 2>&1 &
            fi
            echo "postgres://alertgate@127.0.0.1:$port/postgres"
            exit 0
        fi
    done
    echo "pg-cluster.sh: the server did not start; see $dir/server.log" >&2
    exit 1
    ;;
stop)
    dir=$(dir_of "$2")
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    port=${2##*:}
    rm -rf "$dir" "${TMPDIR:-/tmp}/alertgate-pg-${port%%/*}"
    ;;
ctl)
    dir=$(dir_of "$2")
    port=${2##*:}
    port=${port%%/*}
    case "$3" in
    stop) as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
    start) as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-h 127.0.0.1 -p $port -k $dir $pg_opts" \
        start >/dev/null ;;
    esac
    ;;
createdb)
    base=$2
    name="t_$(date +%s%N)_$$_$RANDOM"
    psql_url "$base" -c "CREATE DATABASE $name"
    echo "${base%/*}/$name"
    ;;
run)
    shift
    if [ -n "${ALERTGATE_TEST_POSTGRES_URL:-}" ]; then
        exec "$@"
    fi
    url=$(bash "$0" start $$)
    trap 'bash "$0" stop "$url"' EXIT
    ALERTGATE_TEST_POSTGRES_URL=$url "$@"
    ;;
*)
    echo "usage: pg-cluster.sh start [PID] | stop URL | createdb URL | run CMD... | ctl URL stop|start" >&2
    exit 2
    ;;
esac
