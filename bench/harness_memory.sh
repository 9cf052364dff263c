#!/usr/bin/env bash
# Memory per simulated customer in flight: the harness's RSS at the end of the arrivals of
# bench/memory.toml, at two rates, against a reference server in a process of its own.
#   [DELIVERY=customer_stream] bench/harness_memory.sh [LOW_RATE] [HIGH_RATE]  (default 150 300)
# DELIVERY picks how customers hear from the server: their own streams (the default) or their
# channel's stream (channel_stream), which holds a mailbox per customer instead of a socket.
# Each customer stays 100 s, so RATE x 15 are in flight at the end: the defaults keep both runs
# under what an open-file limit of 20,000 lets a run hold (about 6,500).
set -euo pipefail
cd "$(dirname "$0")/.."
# A run holds no more customers at once than its open-file limit allows (three descriptors
# each; arrivals past it are dropped and counted below): raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
delivery=${DELIVERY:-customer_stream}
low=${1:-150}
high=${2:-300}
bin=target/release/omnisim
cargo build --release --quiet
token=admin-token-123456789
port=18089
$bin serve --addr 127.0.0.1:$port --admin-token $token >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 1
tmp=$(mktemp -d)
rss_at_end() {
    sed "s/RATE/$1/; s/^delivery = \"customer_stream\"/delivery = \"$delivery\"/" bench/memory.toml \
        >"$tmp/m.toml"
    $bin run "$tmp/m.toml" --target http://127.0.0.1:$port --admin-token $token --out "$tmp/out-$1" \
        >/dev/null 2>&1 &
    local pid=$!
    # Agents come online first (well under a second), then 15 s of arrivals.
    sleep 16
    awk '/VmRSS/ {print $2}' "/proc/$pid/status"
    wait $pid || true
}
a=$(rss_at_end "$low")
b=$(rss_at_end "$high")
customers=$(( (high - low) * 15 ))
echo "RSS at the end of arrivals: ${a} KiB at ${low}/s, ${b} KiB at ${high}/s"
for rate in "$low" "$high"; do
    python3 -c "import json; a = json.load(open('$tmp/out-$rate/summary.json'))['arrivals']; \
print('$rate/s:', a['started'], 'started,', a['dropped'], 'dropped')"
done
awk -v a="$a" -v b="$b" -v n="$customers" \
    'BEGIN { printf "memory per simulated customer in flight: %.2f KiB\n", (b - a) / n }'
