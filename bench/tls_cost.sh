#!/usr/bin/env bash
# The generator's CPU per session over TLS against plain HTTP: the reference server in a process
# of its own (once plain, once with a certificate from a throwaway CA), the same capacity scenario
# driven at each, the generator's user + system time divided by the sessions it ran.
#   bench/tls_cost.sh [RATE]        (default 500 sessions/s; needs openssl)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-500}
BIN=target/release/omnisim
cargo build --release --quiet
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# A CA and a server certificate for 127.0.0.1, valid for a day.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" -subj /CN=omnisim-bench-ca \
    -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$WORK/key.pem" -out "$WORK/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$WORK/ext.cnf"
openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
    -CAcreateserial -days 1 -out "$WORK/cert.pem" -extfile "$WORK/ext.cnf" 2>/dev/null

sed "s/RATE/$RATE/" bench/capacity.toml > "$WORK/capacity.toml"
export OMNISIM_ADMIN_TOKEN=bench-admin-token-0123456789

# Runs the scenario against URL (extra options after it) and prints "sessions cpu_seconds".
measure() {
    local url=$1; shift
    local out="$WORK/out-$RANDOM"
    /usr/bin/time -f '%U %S' -o "$WORK/time" \
        "$BIN" run "$WORK/capacity.toml" --target "$url" --out "$out" "$@" > /dev/null || true
    local sessions
    sessions=$(python3 -c "import json,sys; print(json.load(open('$out/summary.json'))['sessions']['started'])")
    echo "$sessions $(awk '{print $1 + $2}' "$WORK/time")"
}

"$BIN" serve --addr 127.0.0.1:18480 > /dev/null &
"$BIN" serve --addr 127.0.0.1:18481 --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" > /dev/null &
sleep 1
read -r PLAIN_S PLAIN_CPU < <(measure http://127.0.0.1:18480)
read -r TLS_S TLS_CPU < <(measure https://127.0.0.1:18481 --ca-cert "$WORK/ca.pem")
python3 - "$PLAIN_S" "$PLAIN_CPU" "$TLS_S" "$TLS_CPU" <<'PY'
import sys
ps, pc, ts, tc = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
plain, tls = pc / ps * 1e6, tc / ts * 1e6
print(f"plain: {ps} sessions, generator CPU {pc:.2f} s, {plain:.0f} us/session")
print(f"tls:   {ts} sessions, generator CPU {tc:.2f} s, {tls:.0f} us/session")
print(f"TLS / plain: {tls / plain:.2f}")
PY
