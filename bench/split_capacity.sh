#!/usr/bin/env bash
# The live cliff with the two sides apart: `omnisim serve` pinned to one core, `omnisim run` of
# bench/capacity.toml pinned to the other, at each RATE given (sessions a second). For each rate
# it prints what the run started and dropped, its schedule lag (p50, p99) and routing p99, and
# the CPU each side spent per session (user + system, in µs): the side whose CPU is nearest a
# whole core (busy %: the server's over the whole run, the generator's over its arrivals, as the
# run's generator_load says) is the one that falls behind first.
# DELIVERY picks how customers hear from the server: their own streams (customer_stream, the
# default) or their channel's stream (channel_stream); HTTP2=1 sends requests over HTTP/2.
# BIN and SERVER_BIN run given builds (the server's default: BIN) instead of building this tree;
# bench/split_compare.sh uses them to set two builds against each other.
#   [RUNS=1] [DELIVERY=customer_stream] [HTTP2=1] [BIN=…] [SERVER_BIN=…]
#     bench/split_capacity.sh [RATE...]                                 (default rates: 1000 2000)
set -euo pipefail
# Given builds are found from where the script was called.
if [ -n "${BIN:-}" ]; then BIN=$(realpath "$BIN"); fi
if [ -n "${SERVER_BIN:-}" ]; then SERVER_BIN=$(realpath "$SERVER_BIN"); fi
cd "$(dirname "$0")/.."
rates=("${@:-1000 2000}")
runs=${RUNS:-1}
delivery=${DELIVERY:-customer_stream}
http=()
if [ -n "${HTTP2:-}" ]; then http=(--http2); fi
if [ -z "${BIN:-}" ]; then
  BIN=$PWD/target/release/omnisim
  cargo build --release --quiet
fi
SERVER_BIN=${SERVER_BIN:-$BIN}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export OMNISIM_ADMIN_TOKEN=bench-admin-token-0123456789
ulimit -n "$(ulimit -Hn)"
tick=$(getconf CLK_TCK)
# User + system CPU seconds of a process so far, from /proc.
cpu() { awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }

printf "%6s %8s %8s %10s %10s %12s %12s %11s %7s %8s %8s %9s\n" rate started dropped \
  lag_p50_ms lag_p99_ms routing_p99 server_us/s gen_us/s wall_s srv_busy gen_busy transport
for rate in ${rates[*]}; do
  sed "s/RATE/$rate/; s/^delivery = \"customer_stream\"/delivery = \"$delivery\"/" bench/capacity.toml > "$WORK/c.toml"
  for _ in $(seq "$runs"); do
    taskset -c 0 "$SERVER_BIN" serve --addr 127.0.0.1:18491 --max-connections 60000 \
      > "$WORK/serve.log" 2>&1 &
    server=$!
    sleep 1
    before=$(cpu "$server")
    /usr/bin/time -f "%e %U %S" -o "$WORK/time" taskset -c 1 "$BIN" run "$WORK/c.toml" \
      --target http://127.0.0.1:18491 "${http[@]}" --out "$WORK/run" > "$WORK/run.log" 2>&1 || true
    after=$(cpu "$server")
    kill "$server"
    wait "$server" 2>/dev/null || true
    read -r wall user sys < <(tail -1 "$WORK/time")  # after "Command exited with …", if any
    python3 - "$WORK/run/summary.json" "$rate" "$before" "$after" "$wall" "$user" "$sys" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rate = int(sys.argv[2])
before, after, wall, user, sys_ = map(float, sys.argv[3:])
a = s["arrivals"]
started = a["started"]
lat = s["latency_ms"]
server = (after - before) / max(started, 1) * 1e6
gen = (user + sys_) / max(started, 1) * 1e6
print(f"{rate:6d} {started:8d} {a['dropped']:8d} {lat['schedule_lag']['p50']:10.2f} "
      f"{lat['schedule_lag']['p99']:10.1f} "
      f"{lat['routing']['p99']:12.1f} {server:12.0f} {gen:11.0f} {wall:7.1f} "
      f"{(after - before) / wall * 100:7.0f}% {s['generator_load']['busy'] * 100:7.0f}% "
      f"{s['transport_errors']['count']:9d}")
PY
  done
done
