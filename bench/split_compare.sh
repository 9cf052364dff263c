#!/usr/bin/env bash
# Two builds against each other on bench/split_capacity.sh at one rate, both generators driving
# the same server build (SERVER_BIN, default: BUILD_A), run after one another in each round and
# in turns first: this machine's speed drifts by a quarter within minutes, so only runs taken
# together compare. DELIVERY and HTTP2 are bench/split_capacity.sh's.
#   [ROUNDS=5] [DELIVERY=…] [HTTP2=1] [SERVER_BIN=…] bench/split_compare.sh BUILD_A BUILD_B [RATE]
# (default rate: 4000). Prints each run's line, then each build's medians (the lower middle of an
# even count) of the schedule lag's p50 and p99 and of the generator's CPU a session.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,8p' "$0" >&2
  exit 2
fi
a=$(realpath "$1")
b=$(realpath "$2")
rate=${3:-4000}
rounds=${ROUNDS:-5}
export SERVER_BIN=$(realpath "${SERVER_BIN:-$a}")
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="a b"; else order="b a"; fi
  for which in $order; do
    if [ "$which" = a ]; then bin=$a; else bin=$b; fi
    line=$(BIN=$bin bench/split_capacity.sh "$rate" | tail -1)
    echo "$which $line" | tee -a "$work/runs"
  done
done
# Columns of a run's line: build, rate, started, dropped, lag p50, lag p99, routing p99,
# server µs, generator µs, ...
for which in a b; do
  for col in 5 6 9; do
    grep "^$which " "$work/runs" | awk -v c="$col" '{ print $c }' | sort -n |
      awk '{ v[NR] = $1 } END { printf "%s ", v[int((NR + 1) / 2)] }'
  done | awk -v w="$which" '{ printf "%s: median lag p50 %s ms, lag p99 %s ms, generator %s µs a session\n", w, $1, $2, $3 }'
done
