#!/usr/bin/env bash
# Two builds of omnisim against each other on the virtual-time benchmark (bench/virtual.toml),
# run side by side, one on each core, trading cores every round. Run one after the other, two
# runs of one build on this machine differ by up to a third as its speed drifts; run together,
# both meet the same drift: one round's ratio still varies by some 10 %, but the median of 20
# repeats within about a percent (a build against itself: 1.000).
#   [ROUNDS=20] [ALONE=1] bench/virtual_compare.sh BUILD_A BUILD_B [SESSIONS]  (default: 20000)
# Prints each round's simulation time of both (the run's own "simulated in", without setup and
# reports), B's time over A's, and the median and spread of that ratio: below 1, B is faster.
# The summaries of the last round must be identical; the script says so if they are not.
# A run's history checker has a thread of its own; pinned to one core, it shares that core with
# the simulation, so side by side this weighs the CPU the two take together. ALONE=1 runs the
# builds one after the other instead, each with both cores, the first of a round alternating:
# what the second core buys shows there, through more of the machine's drift (more rounds).
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
a=$(realpath "$1")
b=$(realpath "$2")
sessions=${3:-20000}
rounds=${ROUNDS:-20}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s/RATE/100/; s/DURATION/$((sessions / 100))s/" bench/virtual.toml > "$work/scenario.toml"
# Seconds the run spent simulating, from its last line of progress.
simulated() { sed -nE 's/.*simulated in ([0-9.]+) s.*/\1/p' "$1"; }
printf "%5s %8s %8s %7s\n" round a_s b_s b/a
# Runs build $1 as side $2 (a or b), on core $3 unless alone.
one() {
  local pin=(taskset -c "$3")
  if [ "${ALONE:-0}" = 1 ]; then pin=(); fi
  "${pin[@]}" "$1" run "$work/scenario.toml" --virtual --out "$work/$2" > "$work/$2.log" 2>&1
}
for round in $(seq "$rounds"); do
  core_a=$((round % 2))
  if [ "${ALONE:-0}" = 1 ]; then
    if [ "$core_a" = 1 ]; then one "$a" a 0; one "$b" b 1; else one "$b" b 1; one "$a" a 0; fi
  else
    one "$a" a "$core_a" &
    one "$b" b $((1 - core_a)) &
    wait
  fi
  awk -v r="$round" -v a="$(simulated "$work/a.log")" -v b="$(simulated "$work/b.log")" \
    'BEGIN { printf "%5d %8.2f %8.2f %7.3f\n", r, a, b, b / a }'
done | tee "$work/rounds"
sort -k4 -n "$work/rounds" | awk '{ r[NR] = $4 } END {
  printf "b/a: median %.3f, from %.3f to %.3f over %d rounds\n", r[int((NR + 1) / 2)], r[1], r[NR], NR }'
cmp -s "$work/a/summary.json" "$work/b/summary.json" || echo "the two builds' summaries differ"
