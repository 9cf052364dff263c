#!/usr/bin/env bash
# Sessions per second of a full scenario in virtual time (bench/virtual.toml: a bot in front of
# two queues, six customer messages per conversation, 1,600 agents), and how the cost grows with
# the number of sessions: 100 arrivals/s for DURATION seconds each, one run per size.
#   bench/virtual_speed.sh [SESSIONS...]      (default: 100000 1000000; the second needs ~8 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-100000 1000000}")
cargo build --release --quiet
scenario=$(mktemp --suffix=.toml)
out=$(mktemp -d)
trap 'rm -rf "$scenario" "$out"' EXIT
printf "%10s %10s %10s %10s %14s %12s\n" sessions wall_s user_s sys_s sessions/s peak_MB
for n in ${sizes[*]}; do
  sed "s/RATE/100/; s/DURATION/$((n / 100))s/" bench/virtual.toml > "$scenario"
  /usr/bin/time -f "%e %U %S %M" -o "$out/time" \
    target/release/omnisim run "$scenario" --virtual --out "$out/run" > "$out/log"
  started=$(sed -nE 's/^sessions: ([0-9]+) started.*/\1/p' "$out/log")
  read -r wall user sys kb < "$out/time"
  awk -v n="$started" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" \
    'BEGIN { printf "%10d %10.2f %10.2f %10.2f %14.0f %12.0f\n", n, w, u, s, n / w, kb / 1024 }'
done
