#!/usr/bin/env bash
# Load test of the reference server (`make bench-server`; never part of `make test`).
#
# Starts `alertgate serve` (release build) on a free 127.0.0.1 port with a temp
# database and an integration `bench-alertmanager` (source alertmanager, auth
# hmac_sha256 over the body, no timestamp, so one signature stays valid for the
# whole run), then runs wrk for LOAD_SECONDS on GET /health (the ceiling: the
# same server, router, middleware and one SQLite read) and on
# POST /api/v1/integrations/bench-alertmanager with one signed Alertmanager
# alert (every request folds into the same incident: an alert storm).
#
# The LOAD_SECONDS per endpoint are split into LOAD_ROUNDS rounds that alternate
# the two endpoints (health, integration; then integration, health; ...), a second
# apart, so a drift in the machine's speed (other tenants, the CPU's clock) falls
# on both alike. Each endpoint's req/s is its requests over its seconds, all rounds.
#
# Three phases, each with the same alternating rounds:
#   1. a server with `--durability process` (synchronous=NORMAL: no fsync per
#      commit, so the figures show the server's own work);
#   2. the same server with LOAD_STALLED connections (300) held open alongside
#      the load, each sending part of a request's headers and then nothing
#      (re-opened as the header timeout cuts them off): a slowloris soak;
#   3. a fresh server with the default `--durability full` (every commit
#      fsynced), to price the fsync.
#
# Target: with `--durability process` (the setting the target was first set
# for), integration req/s >= 50% of /health req/s; in every phase, no response
# outside 2xx and no socket error. Exit 1 when it is missed. The cost of the
# default's fsync and of the stalled connections are reported beside it.
#
# Environment: LOAD_SECONDS (30, phase 1), LOAD_EXTRA_SECONDS (10, phases 2
# and 3), LOAD_ROUNDS (3), LOAD_THREADS (2), LOAD_CONNECTIONS (32), LOAD_STALLED
# (300), LOAD_PAYLOAD (tests/vectors/alertmanager/firing_single.json), CARGO (cargo).
set -euo pipefail

cd "$(dirname "$0")/../.."

SECONDS_TOTAL="${LOAD_SECONDS:-30}"
EXTRA_SECONDS="${LOAD_EXTRA_SECONDS:-10}"
STALLED="${LOAD_STALLED:-300}"
ROUNDS="${LOAD_ROUNDS:-3}"
THREADS="${LOAD_THREADS:-2}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}"
PAYLOAD="${LOAD_PAYLOAD:-tests/vectors/alertmanager/firing_single.json}"
CARGO="${CARGO:-cargo}"
LUA="server-example/bench/post.lua"
NAME="bench-alertmanager"
SECRET="load-test-secret"
SIG_HEADER="X-Alertgate-Signature"
TARGET_RATIO="0.50"

if ! [[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$SECONDS_TOTAL" =~ ^[1-9][0-9]*$ ]] || [ "$SECONDS_TOTAL" -lt "$ROUNDS" ]; then
    echo "load.sh: LOAD_SECONDS ($SECONDS_TOTAL) and LOAD_ROUNDS ($ROUNDS) must be whole numbers, LOAD_SECONDS >= LOAD_ROUNDS" >&2
    exit 2
fi
# Whole seconds per round (wrk's -d); the remainder is dropped.
SECONDS_PER_RUN=$((SECONDS_TOTAL / ROUNDS))
EXTRA_PER_RUN=$(( (EXTRA_SECONDS + ROUNDS - 1) / ROUNDS ))

if ! command -v wrk >/dev/null; then
    echo "wrk not found: installing it (Debian package)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update && apt-get install -y wrk
    else
        sudo apt-get update && sudo apt-get install -y wrk
    fi
fi

"$CARGO" build --release -p alertgate-server
BIN="${CARGO_TARGET_DIR:-target}/release/alertgate"

tmp="$(mktemp -d)"
server_pid=""
stall_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    if [ -n "$stall_pid" ]; then kill "$stall_pid" 2>/dev/null || true; fi
    stop_server
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
EOF

# Signed once: {body} carries no timestamp, so the signature never expires.
cp "$PAYLOAD" "$tmp/body.json"
signed="$("$BIN" sign --scheme hmac_sha256 --secret "$SECRET" --signature-header "$SIG_HEADER" \
    --prefix sha256= --signed-content '{body}' "$tmp/body.json")"
# {"X-Alertgate-Signature":"sha256=<hex>"}
sig_value="$(printf '%s' "$signed" | sed -n 's/^{"[^"]*":"\([^"]*\)"}$/\1/p')"
if [ -z "$sig_value" ]; then
    echo "load.sh: unexpected output of alertgate sign: $signed" >&2
    exit 1
fi

# Starts a server with durability $1 on a fresh database; sets server_pid and base.
start_server() {
    rm -f "$tmp"/alertgate.db*
    # Rate limits raised out of the way: this measures the server, not the limiter.
    "$BIN" serve --listen 127.0.0.1:0 --db "$tmp/alertgate.db" --integrations "$tmp/integrations.toml" \
        --durability "$1" --rate-limit-ip 4000000000 --rate-limit-global 4000000000 \
        --max-connections-per-ip 4096 \
        >"$tmp/server.out" 2>"$tmp/server.log" &
    server_pid=$!
    base=""
    for _ in $(seq 1 100); do
        base="$(sed -n 's/^alertgate listening on \(http:[^ ]*\)$/\1/p' "$tmp/server.out")"
        [ -n "$base" ] && break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "load.sh: the server exited:" >&2
            cat "$tmp/server.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    if [ -z "$base" ]; then
        echo "load.sh: the server did not start listening" >&2
        cat "$tmp/server.log" >&2
        exit 1
    fi
    # Ready when /health answers 200 (over bash's /dev/tcp: no curl needed).
    hostport="${base#http://}"
    local ready=""
    for _ in $(seq 1 50); do
        if status="$(exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" &&
            printf 'GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hostport" >&3 &&
            head -n1 <&3)" && [[ "$status" == *" 200 "* ]]; then
            ready=1
            break
        fi
        sleep 0.1
    done
    if [ -z "$ready" ]; then
        echo "load.sh: $base/health never answered 200" >&2
        cat "$tmp/server.log" >&2
        exit 1
    fi
    echo "server ($1): $base (db and config in $tmp)"
}

# One wrk run; prints "requests seconds p50_us p99_us non2xx errors".
run_wrk() {
    local url="$1" out
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${RUN_SECONDS}s" -s "$LUA" "$url")"
    printf '%s\n' "$out" >&2
    local line non2xx_wrk
    line="$(printf '%s\n' "$out" | grep '^ALERTGATE_BENCH ')"
    non2xx_wrk="$(printf '%s\n' "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p')"
    # The Lua count (every status outside 2xx) covers wrk's (>= 400 only); keep the larger.
    printf '%s\n' "$line" | awk -v nw="${non2xx_wrk:-0}" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        n = v["non2xx"] + 0; if (nw + 0 > n) n = nw + 0
        print v["requests"], v["seconds"], v["p50_us"], v["p99_us"], n, v["errors"]
    }'
}

health_run() {
    echo "--- $2 round $1: GET /health" >&2
    ALERTGATE_BENCH_BODY="" run_wrk "$base/health" >>"$tmp/$2.health"
}
integration_run() {
    echo "--- $2 round $1: POST /api/v1/integrations/$NAME" >&2
    ALERTGATE_BENCH_BODY="$tmp/body.json" \
        ALERTGATE_BENCH_SIG_NAME="$SIG_HEADER" ALERTGATE_BENCH_SIG_VALUE="$sig_value" \
        run_wrk "$base/api/v1/integrations/$NAME" >>"$tmp/$2.integration"
}

# ROUNDS alternating rounds of RUN_SECONDS per endpoint, recorded under phase $1.
rounds() {
    : >"$tmp/$1.health"
    : >"$tmp/$1.integration"
    for round in $(seq 1 "$ROUNDS"); do
        # A second's pause lets the previous run's checkpoint settle before the next.
        if [ $((round % 2)) -eq 1 ]; then
            health_run "$round" "$1"; sleep 1; integration_run "$round" "$1"
        else
            integration_run "$round" "$1"; sleep 1; health_run "$round" "$1"
        fi
        sleep 1
    done
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "load.sh: the server died during the run:" >&2
        tail -n 50 "$tmp/server.log" >&2
        exit 1
    fi
}

# Holds $1 connections that stall inside their headers, re-opening each one
# the server closes, until killed.
stall() {
    python3 - "$hostport" "$1" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
want, held = int(sys.argv[2]), []
def opened():
    s = socket.create_connection((host, int(port)))
    s.sendall(b"POST /api/v1/integrations/x HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    s.setblocking(False)
    return s
while True:
    alive = []
    for s in held:
        try:
            if s.recv(1) == b"":
                s.close()
                continue
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        alive.append(s)
    held = alive
    while len(held) < want:
        held.append(opened())
    time.sleep(0.2)
PY
}

echo "wrk -t$THREADS -c$CONNECTIONS; $ROUNDS rounds of ${SECONDS_PER_RUN}s per endpoint (phase 1), ${EXTRA_PER_RUN}s (phases 2, 3)"
start_server process
RUN_SECONDS=$SECONDS_PER_RUN rounds process
stall "$STALLED" &
stall_pid=$!
sleep 1
RUN_SECONDS=$EXTRA_PER_RUN rounds stalled
kill "$stall_pid" 2>/dev/null || true
wait "$stall_pid" 2>/dev/null || true
stall_pid=""
stop_server
start_server full
RUN_SECONDS=$EXTRA_PER_RUN rounds full
stop_server

echo
awk -v name="$NAME" -v target="$TARGET_RATIO" -v stalled="$STALLED" '
    # Rows: requests seconds p50_us p99_us non2xx errors, one per round (p50 unused).
    # Files: process, stalled, full; each health then integration.
    FNR == 1 { file++ }
    {
        req[file] += $1; secs[file] += $2; bad[file] += $5 + $6
        if ($4 > p99[file]) p99[file] = $4
        rps[file, FNR] = $1 / $2; rounds[file] = FNR
    }
    END {
        fmt = "%-58s %10s %20s %10s %12s\n"
        printf fmt, "phase / endpoint", "req/s", "round req/s", "max p99", "non-2xx+err"
        split("durability process|process, " stalled " stalled connections open|durability full (default)", phase, "|")
        split("GET /health|POST /api/v1/integrations/" name, label, "|")
        errors = 0
        for (p = 1; p <= 3; p++) {
            for (e = 1; e <= 2; e++) {
                f = 2 * (p - 1) + e
                list = ""
                for (r = 1; r <= rounds[f]; r++) list = list (r > 1 ? " " : "") sprintf("%.0f", rps[f, r])
                printf fmt, phase[p] ": " label[e], sprintf("%.0f", req[f] / secs[f]), list, sprintf("%.2fms", p99[f] / 1000), bad[f]
                errors += bad[f]
                value[f] = req[f] / secs[f]
            }
        }
        ratio = value[2] / value[1]
        list = ""
        for (r = 1; r <= rounds[2]; r++) list = list (r > 1 ? ", " : "") sprintf("%.2f", rps[2, r] / rps[1, r])
        printf "\nratio integration/health (durability process): %.3f (rounds: %s; target >= %.2f)\n", ratio, list, target
        printf "ratio integration/health with %d stalled connections: %.3f; integration with/without them: %.3f\n", stalled, value[4] / value[3], value[4] / value[2]
        printf "ratio integration/health (durability full, the default): %.3f; integration full/process (the price of the fsync): %.3f\n", value[6] / value[5], value[6] / value[2]
        ok = (ratio >= target && errors == 0)
        printf "%s (zero non-2xx and socket errors in every phase: %s)\n", ok ? "PASS" : "FAIL", errors == 0 ? "yes" : "no"
        exit ok ? 0 : 1
    }' "$tmp/process.health" "$tmp/process.integration" "$tmp/stalled.health" "$tmp/stalled.integration" \
    "$tmp/full.health" "$tmp/full.integration"
