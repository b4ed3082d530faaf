#!/usr/bin/env bash
# The store's backends under the same load (`make bench-server`, after load.sh;
# never part of `make test`), in one run on one machine:
#   1. SQLite, one instance (--durability full, every commit fsynced);
#   2. PostgreSQL, one instance (a throwaway cluster with fsync on, the
#      default synchronous_commit: every commit durable, like 1);
#   3. PostgreSQL, two instances on that database, the client's connections
#      split between them round-robin (half the connections to each).
# Each runs wrk for SCALE_SECONDS on POST /api/v1/integrations/<name> with one
# signed Alertmanager alert (every request folds into the same incident: an
# alert storm, the worst case for PostgreSQL, whose fold takes that row's lock),
# then the same alert spread over SCALE_KEYS (1000) incidents (a bearer-token
# integration: the body changes per request), and /health on the same server as
# the baseline.
#
# Beside req/s, p50/p99 and errors it prints the CPU that PostgreSQL's
# processes and the server spent per folded request (from /proc), the figures
# the scaling estimate in docs/scaling.md is made from.
#
# Environment: SCALE_SECONDS (10), SCALE_KEYS (1000), LOAD_THREADS (2), LOAD_CONNECTIONS (32),
# LOAD_PAYLOAD (tests/vectors/alertmanager/firing_single.json), CARGO (cargo).
set -euo pipefail

cd "$(dirname "$0")/../.."

SECS="${SCALE_SECONDS:-10}"
THREADS="${LOAD_THREADS:-2}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}"
KEYS="${SCALE_KEYS:-1000}"
PAYLOAD="${LOAD_PAYLOAD:-tests/vectors/alertmanager/firing_single.json}"
CARGO="${CARGO:-cargo}"
LUA="server-example/bench/post.lua"
NAME="bench-alertmanager"
SECRET="load-test-secret"
SIG_HEADER="X-Alertgate-Signature"
PG="server-example/tests/pg-cluster.sh"

command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update && apt-get install -y postgresql; }

"$CARGO" build --release -p alertgate-server
BIN="${CARGO_TARGET_DIR:-target}/release/alertgate"

tmp="$(mktemp -d)"
cluster=""
# Each server's pid is in $tmp/pid.NAME (start runs in a command substitution's
# subshell, so a variable set there would not reach this one).
cleanup() {
    local f
    for f in "$tmp"/pid.*; do
        [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    [ -n "$cluster" ] && bash "$PG" stop "$cluster"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$tmp/integrations.toml" <<EOF
[integrations.$NAME]
source = "alertmanager"
auth = "hmac_sha256"
signature_header = "$SIG_HEADER"
prefix = "sha256="
signed_content = "{body}"
secrets = ["$SECRET"]

[integrations.bench-keys]
source = "alertmanager"
auth = "bearer"
secrets = ["$SECRET"]
EOF
cp "$PAYLOAD" "$tmp/body.json"
signed="$("$BIN" sign --scheme hmac_sha256 --secret "$SECRET" --signature-header "$SIG_HEADER" \
    --prefix sha256= --signed-content '{body}' "$tmp/body.json")"
sig_value="$(printf '%s' "$signed" | sed -n 's/^{"[^"]*":"\([^"]*\)"}$/\1/p')"

# Starts a server on the database $1 (file or URL) as instance $2; prints its base URL.
start() {
    "$BIN" serve --listen 127.0.0.1:0 --db "$1" --integrations "$tmp/integrations.toml" \
        --rate-limit-ip 4000000000 --rate-limit-global 4000000000 --max-connections-per-ip 4096 \
        >"$tmp/out.$2" 2>"$tmp/log.$2" &
    echo $! >"$tmp/pid.$2"
    for _ in $(seq 1 100); do
        local base
        base="$(sed -n 's/^alertgate listening on \(http:[^ ]*\)$/\1/p' "$tmp/out.$2")"
        if [ -n "$base" ]; then
            echo "$base"
            return
        fi
        sleep 0.1
    done
    echo "scale.sh: instance $2 did not start" >&2
    cat "$tmp/log.$2" >&2
    exit 1
}

# wrk on URL $1 with $2 connections; appends "requests seconds p50_us p99_us bad" to $3.
run() {
    local out
    out="$(wrk -t"$THREADS" -c"$2" -d"${SECS}s" -s "$LUA" "$1")"
    printf '%s\n' "$out" | grep '^ALERTGATE_BENCH ' | awk '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print v["requests"], v["seconds"], v["p50_us"], v["p99_us"], v["non2xx"] + v["errors"]
    }' >>"$3"
}
post() {
    ALERTGATE_BENCH_BODY="$tmp/body.json" ALERTGATE_BENCH_SIG_NAME="$SIG_HEADER" \
        ALERTGATE_BENCH_SIG_VALUE="$sig_value" run "$1/api/v1/integrations/$NAME" "$2" "$3"
}
# The same alert spread over KEYS incidents (a bearer token: the body changes).
spread() {
    ALERTGATE_BENCH_BODY="$tmp/body.json" ALERTGATE_BENCH_SIG_NAME="Authorization" \
        ALERTGATE_BENCH_SIG_VALUE="Bearer $SECRET" ALERTGATE_BENCH_KEYS="$KEYS" \
        run "$1/api/v1/integrations/bench-keys" "$2" "$3"
}
health() {
    ALERTGATE_BENCH_BODY="" run "$1/health" "$2" "$3"
}

# CPU ticks (user + system) of the processes $@.
ticks() {
    local sum=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$sum"
}
pg_pids() {
    local post
    post="$(pgrep -f "postgres -D $cluster_dir/data" | head -n 1)"
    echo "$post $(pgrep -P "$post" | tr '\n' ' ')"
}

echo "wrk -t$THREADS -c$CONNECTIONS, ${SECS}s per run"

# 1. SQLite.
a="$(start "$tmp/alertgate.db" sqlite)"
health "$a" "$CONNECTIONS" "$tmp/sqlite.health"
t0="$(ticks "$(cat "$tmp/pid.sqlite")")"
post "$a" "$CONNECTIONS" "$tmp/sqlite.post"
t1="$(ticks "$(cat "$tmp/pid.sqlite")")"
echo "$((t1 - t0))" >"$tmp/sqlite.server_ticks"
spread "$a" "$CONNECTIONS" "$tmp/sqlite.spread"
kill "$(cat "$tmp/pid.sqlite")"
rm "$tmp/pid.sqlite"

# 2. PostgreSQL, one instance.
cluster="$(ALERTGATE_PG_DURABLE=1 bash "$PG" start $$)"
port="${cluster##*:}"
port="${port%%/*}"
cluster_dir="$(cat "${TMPDIR:-/tmp}/alertgate-pg-$port")"
db="$(bash "$PG" createdb "$cluster")"
a="$(start "$db" pg1)"
health "$a" "$CONNECTIONS" "$tmp/pg1.health"
# shellcheck disable=SC2046
p0="$(ticks $(pg_pids))"
s0="$(ticks "$(cat "$tmp/pid.pg1")")"
post "$a" "$CONNECTIONS" "$tmp/pg1.post"
# shellcheck disable=SC2046
p1="$(ticks $(pg_pids))"
s1="$(ticks "$(cat "$tmp/pid.pg1")")"
echo "$((p1 - p0)) $((s1 - s0))" >"$tmp/pg1.ticks"
# shellcheck disable=SC2046
p0="$(ticks $(pg_pids))"
spread "$a" "$CONNECTIONS" "$tmp/pg1.spread"
# shellcheck disable=SC2046
p1="$(ticks $(pg_pids))"
echo "$((p1 - p0))" >"$tmp/pg1.spread_ticks"

# 3. A second instance on the same database; the connections split between them.
b="$(start "$db" pg2)"
half=$((CONNECTIONS / 2))
health "$a" "$half" "$tmp/pg2.health" &
w1=$!
health "$b" "$half" "$tmp/pg2.health" &
w2=$!
wait "$w1" "$w2"
post "$a" "$half" "$tmp/pg2.post" &
w1=$!
post "$b" "$half" "$tmp/pg2.post" &
w2=$!
wait "$w1" "$w2"
spread "$a" "$half" "$tmp/pg2.spread" &
w1=$!
spread "$b" "$half" "$tmp/pg2.spread" &
w2=$!
wait "$w1" "$w2"

hz="$(getconf CLK_TCK)"
echo
TMPD="$tmp" awk -v hz="$hz" -v sq="$(cat "$tmp/sqlite.server_ticks")" -v pgt="$(cat "$tmp/pg1.ticks")" \
    -v pgs="$(cat "$tmp/pg1.spread_ticks")" -v keys="$KEYS" '
    function sum(f,    line, n, r, s, p50, p99, bad) {
        r = 0; s = 0; p50 = 0; p99 = 0; bad = 0
        while ((getline line < f) > 0) {
            split(line, v, " ")
            r += v[1]; if (v[2] > s) s = v[2]
            if (v[3] > p50) p50 = v[3]; if (v[4] > p99) p99 = v[4]; bad += v[5]
        }
        close(f)
        REQ = r; RPS = (s > 0 ? r / s : 0); P50 = p50; P99 = p99; BAD = bad
    }
    BEGIN {
        fmt = "%-50s %10s %10s %10s %8s %10s\n"
        printf fmt, "setup: POST (GET /health same server)", "req/s", "p50", "p99", "errors", "health/s"
        n = split("sqlite|pg1|pg2", key, "|")
        split("SQLite, one instance|PostgreSQL, one instance|PostgreSQL, two instances", label, "|")
        for (i = 1; i <= n; i++) {
            sum(ENVIRON["TMPD"] "/" key[i] ".health"); h = RPS
            sum(ENVIRON["TMPD"] "/" key[i] ".post")
            printf fmt, label[i] ": one incident", sprintf("%.0f", RPS), sprintf("%.2fms", P50 / 1000), sprintf("%.2fms", P99 / 1000), BAD, sprintf("%.0f", h)
            req[i] = REQ; bad += BAD
            sum(ENVIRON["TMPD"] "/" key[i] ".spread")
            printf fmt, label[i] ": " keys " incidents", sprintf("%.0f", RPS), sprintf("%.2fms", P50 / 1000), sprintf("%.2fms", P99 / 1000), BAD, ""
            sreq[i] = REQ; bad += BAD
        }
        split(pgt, t, " ")
        printf "\nCPU per folded request: SQLite server %.0f us; PostgreSQL server %.0f us + PostgreSQL itself %.0f us\n",
            sq / hz / req[1] * 1e6, t[2] / hz / req[2] * 1e6, t[1] / hz / req[2] * 1e6
        printf "PostgreSQL CPU per folded request over %d incidents: %.0f us\n", keys, pgs / hz / sreq[2] * 1e6
        printf "%s\n", bad == 0 ? "no errors" : "ERRORS"
        exit bad == 0 ? 0 : 1
    }' </dev/null
