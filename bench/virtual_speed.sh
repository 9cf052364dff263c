#!/usr/bin/env bash
# Sessions per second of a full scenario in virtual time (bench/virtual.toml: a bot in front of
# two queues, six customer messages per conversation, 1,600 agents), and how the cost grows with
# the number of sessions: 100 arrivals/s for DURATION seconds each, RUNS runs per size.
#   [RUNS=1] bench/virtual_speed.sh [SESSIONS...]
#   (default: 100000 1000000; the second needs ~250 MB)
# Besides wall time it prints the cost per session in user space (the simulation, and its history
# checker on a second thread) and in the kernel (mostly zeroing the fresh pages the growing heap
# claims), since the two grow differently with the size of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-100000 1000000}")
runs=${RUNS:-1}
cargo build --release --quiet
scenario=$(mktemp --suffix=.toml)
out=$(mktemp -d)
trap 'rm -rf "$scenario" "$out"' EXIT
printf "%10s %8s %8s %8s %12s %12s %12s %9s\n" \
  sessions wall_s user_s sys_s sessions/s user_us/ses sys_us/ses peak_MB
for n in ${sizes[*]}; do
  sed "s/RATE/100/; s/DURATION/$((n / 100))s/" bench/virtual.toml > "$scenario"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S %M" -o "$out/time" \
      target/release/omnisim run "$scenario" --virtual --out "$out/run" > "$out/log"
    started=$(sed -nE 's/^sessions: ([0-9]+) started.*/\1/p' "$out/log")
    read -r wall user sys kb < "$out/time"
    awk -v n="$started" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" 'BEGIN {
      printf "%10d %8.2f %8.2f %8.2f %12.0f %12.1f %12.1f %9.0f\n",
        n, w, u, s, n / w, u * 1e6 / n, s * 1e6 / n, kb / 1024 }'
  done
done
