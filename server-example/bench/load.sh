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
# Target: integration req/s >= 50% of /health req/s, and no response outside
# 2xx and no socket error. Exit 1 when it is missed.
#
# Environment: LOAD_SECONDS (30), LOAD_THREADS (2), LOAD_CONNECTIONS (32),
# LOAD_PAYLOAD (tests/vectors/alertmanager/firing_single.json), CARGO (cargo).
set -euo pipefail

cd "$(dirname "$0")/../.."

SECONDS_PER_RUN="${LOAD_SECONDS:-30}"
THREADS="${LOAD_THREADS:-2}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}"
PAYLOAD="${LOAD_PAYLOAD:-tests/vectors/alertmanager/firing_single.json}"
CARGO="${CARGO:-cargo}"
LUA="server-example/bench/post.lua"
NAME="bench-alertmanager"
SECRET="load-test-secret"
SIG_HEADER="X-Alertgate-Signature"
TARGET_RATIO="0.50"

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
echo "server: $base (db and config in $tmp); wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s per endpoint"

# One wrk run; prints "rps p50_us p99_us non2xx errors".
run_wrk() {
    local url="$1" out
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$LUA" "$url")"
    printf '%s\n' "$out" >&2
    local line rps non2xx_wrk
    line="$(printf '%s\n' "$out" | grep '^ALERTGATE_BENCH ')"
    rps="$(printf '%s\n' "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')"
    non2xx_wrk="$(printf '%s\n' "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p')"
    # The Lua count (every status outside 2xx) covers wrk's (>= 400 only); keep the larger.
    printf '%s\n' "$line" | awk -v rps="$rps" -v nw="${non2xx_wrk:-0}" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        n = v["non2xx"] + 0; if (nw + 0 > n) n = nw + 0
        if (rps == "") rps = v["rps"]
        print rps, v["p50_us"], v["p99_us"], n, v["errors"]
    }'
}

echo "--- GET /health" >&2
health="$(ALERTGATE_BENCH_BODY="" run_wrk "$base/health")"
echo "--- POST /api/v1/integrations/$NAME" >&2
integration="$(ALERTGATE_BENCH_BODY="$tmp/body.json" \
    ALERTGATE_BENCH_SIG_NAME="$SIG_HEADER" ALERTGATE_BENCH_SIG_VALUE="$sig_value" \
    run_wrk "$base/api/v1/integrations/$NAME")"
read -r h_rps h_p50 h_p99 h_bad h_err <<<"$health"
read -r i_rps i_p50 i_p99 i_bad i_err <<<"$integration"

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "load.sh: the server died during the run:" >&2
    tail -n 50 "$tmp/server.log" >&2
    exit 1
fi

echo
awk -v h="$h_rps $h_p50 $h_p99 $h_bad $h_err" -v i="$i_rps $i_p50 $i_p99 $i_bad $i_err" \
    -v name="$NAME" -v target="$TARGET_RATIO" 'BEGIN {
    split(h, H, " "); split(i, I, " ")
    fmt = "%-45s %10s %9s %9s %8s %7s\n"
    printf fmt, "endpoint", "req/s", "p50", "p99", "non-2xx", "errors"
    printf fmt, "GET /health", sprintf("%.0f", H[1]), sprintf("%.2fms", H[2] / 1000), sprintf("%.2fms", H[3] / 1000), H[4], H[5]
    printf fmt, "POST /api/v1/integrations/" name, sprintf("%.0f", I[1]), sprintf("%.2fms", I[2] / 1000), sprintf("%.2fms", I[3] / 1000), I[4], I[5]
    ratio = (H[1] > 0) ? I[1] / H[1] : 0
    ok = (ratio >= target && H[4] + H[5] + I[4] + I[5] == 0)
    printf "\nratio integration/health: %.2f (target >= %.2f, zero non-2xx and socket errors): %s\n", ratio, target, ok ? "PASS" : "FAIL"
    exit ok ? 0 : 1
}'
