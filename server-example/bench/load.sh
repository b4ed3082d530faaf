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
# Target: integration req/s >= 50% of /health req/s, and no response outside
# 2xx and no socket error. Exit 1 when it is missed.
#
# Environment: LOAD_SECONDS (30), LOAD_ROUNDS (3), LOAD_THREADS (2),
# LOAD_CONNECTIONS (32), LOAD_PAYLOAD (tests/vectors/alertmanager/firing_single.json),
# CARGO (cargo).
set -euo pipefail

cd "$(dirname "$0")/../.."

SECONDS_TOTAL="${LOAD_SECONDS:-30}"
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
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
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

# Rate limits raised out of the way: this measures the server, not the limiter.
"$BIN" serve --listen 127.0.0.1:0 --db "$tmp/alertgate.db" --integrations "$tmp/integrations.toml" \
    --rate-limit-ip 4000000000 --rate-limit-global 4000000000 \
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
ready=""
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
echo "server: $base (db and config in $tmp); wrk -t$THREADS -c$CONNECTIONS, $ROUNDS rounds of ${SECONDS_PER_RUN}s per endpoint"

# One wrk run; prints "requests seconds p50_us p99_us non2xx errors".
run_wrk() {
    local url="$1" out
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$LUA" "$url")"
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
    echo "--- round $1: GET /health" >&2
    ALERTGATE_BENCH_BODY="" run_wrk "$base/health" >>"$tmp/health.runs"
}
integration_run() {
    echo "--- round $1: POST /api/v1/integrations/$NAME" >&2
    ALERTGATE_BENCH_BODY="$tmp/body.json" \
        ALERTGATE_BENCH_SIG_NAME="$SIG_HEADER" ALERTGATE_BENCH_SIG_VALUE="$sig_value" \
        run_wrk "$base/api/v1/integrations/$NAME" >>"$tmp/integration.runs"
}

: >"$tmp/health.runs"
: >"$tmp/integration.runs"
for round in $(seq 1 "$ROUNDS"); do
    # A second's pause lets the previous run's checkpoint settle before the next.
    if [ $((round % 2)) -eq 1 ]; then
        health_run "$round"; sleep 1; integration_run "$round"
    else
        integration_run "$round"; sleep 1; health_run "$round"
    fi
    sleep 1
done

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "load.sh: the server died during the run:" >&2
    tail -n 50 "$tmp/server.log" >&2
    exit 1
fi

echo
awk -v name="$NAME" -v target="$TARGET_RATIO" '
    # Rows: requests seconds p50_us p99_us non2xx errors, one per round (p50 unused).
    FNR == 1 { file++ }
    {
        req[file] += $1; secs[file] += $2; bad[file] += $5 + $6
        if ($4 > p99[file]) p99[file] = $4
        rps[file, FNR] = $1 / $2; rounds = FNR
    }
    END {
        fmt = "%-45s %10s %18s %10s %14s\n"
        printf fmt, "endpoint", "req/s", "round req/s", "max p99", "non-2xx+err"
        split("GET /health|POST /api/v1/integrations/" name, label, "|")
        for (f = 1; f <= 2; f++) {
            list = ""
            for (r = 1; r <= rounds; r++) list = list (r > 1 ? " " : "") sprintf("%.0f", rps[f, r])
            printf fmt, label[f], sprintf("%.0f", req[f] / secs[f]), list, sprintf("%.2fms", p99[f] / 1000), bad[f]
        }
        ratio = (req[1] > 0) ? (req[2] / secs[2]) / (req[1] / secs[1]) : 0
        list = ""
        for (r = 1; r <= rounds; r++) list = list (r > 1 ? ", " : "") sprintf("%.2f", rps[2, r] / rps[1, r])
        ok = (ratio >= target && bad[1] + bad[2] == 0)
        printf "\nratio integration/health: %.3f (rounds: %s; target >= %.2f, zero non-2xx and socket errors): %s\n", ratio, list, target, ok ? "PASS" : "FAIL"
        exit ok ? 0 : 1
    }' "$tmp/health.runs" "$tmp/integration.runs"
