#!/usr/bin/env bash
# Sessions per second of a full scenario in virtual time (bench/virtual.toml: a bot in front of
# two queues, six customer messages per conversation, 1,600 agents), and how the cost grows with
# the number of sessions: 100 arrivals/s for as long as SESSIONS take, in RUNS rounds of every size.
#   [RUNS=1] bench/virtual_speed.sh [SESSIONS...]
#   (default: 100000 1000000; the second needs ~250 MB)
# Besides wall time it prints the cost per session in user space (the simulation, and its history
# checker on a second thread) and in the kernel (mostly zeroing the fresh pages the growing heap
# claims), since the two grow differently with the size of the run.
# Each round runs every size once, in turn, so that the machine's drift in speed (up to a third
# within minutes) meets every size alike; the last lines give each size's medians over the
# rounds, and the median over the rounds of how much more user time a session took at each size
# than at the first size in the same round.
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
rows="$out/rows"
for round in $(seq "$runs"); do
  for n in ${sizes[*]}; do
    sed "s/RATE/100/; s/DURATION/$((n / 100))s/" bench/virtual.toml > "$scenario"
    /usr/bin/time -f "%e %U %S %M" -o "$out/time" \
      target/release/omnisim run "$scenario" --virtual --out "$out/run" > "$out/log"
    started=$(sed -nE 's/^sessions: ([0-9]+) started.*/\1/p' "$out/log")
    read -r wall user sys kb < "$out/time"
    line=$(awk -v n="$started" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" 'BEGIN {
      printf "%10d %8.2f %8.2f %8.2f %12.0f %12.1f %12.1f %9.0f\n",
        n, w, u, s, n / w, u * 1e6 / n, s * 1e6 / n, kb / 1024 }')
    echo "$line"
    echo "$n $round $line" >> "$rows"
  done
done

# The median of the numbers on standard input (the lower middle of an even count).
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "medians over $runs round(s); user time a session against the first size's in each round:"
printf "%10s %12s %12s %9s %9s\n" sessions sessions/s user_us/ses peak_MB vs_first
first=${sizes[*]}
first=${first%% *}
# Column $1 of size $n's rows.
column() { awk -v n="$n" -v c="$1" '$1 == n { print $c }' "$rows"; }
for n in $(printf '%s\n' ${sizes[*]} | awk '!seen[$0]++'); do
  rate=$(column 7 | median)
  user=$(column 8 | median)
  peak=$(column 10 | sort -g | tail -1)
  # Each round's user time a session at this size over the first size's; of a size given twice,
  # a round's first run.
  growth=$(awk -v n="$n" -v f="$first" '
    $1 == f && !(($2) in base) { base[$2] = $8 }
    $1 == n && !(($2) in mine) { mine[$2] = $8 }
    END { for (r in mine) if (r in base) print mine[r] / base[r] }' "$rows" | median)
  awk -v n="$n" -v r="$rate" -v u="$user" -v p="$peak" -v g="$growth" 'BEGIN {
    printf "%10d %12.0f %12.1f %9.0f %+8.1f%%\n", n, r, u, p, (g - 1) * 100 }'
done
