#!/usr/bin/env bash
# Customers simulated per second on the plain M/M/N+M model: omnisim's simulator and the same
# model in SimPy (bench/mmn_simpy.py), one after the other in one run, same parameters.
#   bench/plan_speed.sh [CUSTOMERS]      (default 2,000,000 for omnisim; SimPy gets a tenth)
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-2000000}
python3 -c "import simpy" 2>/dev/null || pip install --quiet simpy
cargo build --release --quiet
# 200/h, AHT 180 s, 14 agents, patience 300 s (the Erlang A worked example).
args=(--arrival-rate 200 --aht 180 --agents 14 --patience 300)
# Two replications (the least the command runs), each measuring CUSTOMERS after a warm-up of
# a tenth as many: 2.2 x CUSTOMERS simulated in all.
start=$(date +%s.%N)
target/release/omnisim plan "${args[@]}" --replications 2 --customers "$customers" --json >/dev/null
end=$(date +%s.%N)
ours=$(awk -v s="$start" -v e="$end" -v n="$customers" 'BEGIN { printf "%.0f", 2.2 * n / (e - s) }')
echo "omnisim: $(awk -v n="$customers" 'BEGIN { printf "%d", 2.2 * n }') customers = $ours customers/s"
out=$(python3 bench/mmn_simpy.py 200 180 14 300 $((customers / 10)))
echo "$out"
theirs=$(echo "$out" | sed -E 's/.*= ([0-9,]+) customers\/s.*/\1/' | tr -d ,)
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "omnisim / simpy: %.1fx\n", a / b }'
