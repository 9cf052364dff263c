#!/usr/bin/env bash
# What the live generator spends on a session in work rather than in time: the user-space
# instructions of `omnisim run` of bench/capacity.toml (channel stream, HTTP/2) per session
# started, counted by valgrind's cachegrind, against `omnisim serve` running natively in its own
# process. Wall time per session (bench/split_compare.sh) drifts with this machine's speed by
# more than the changes it is asked to judge: two sets of rounds of the same two builds have
# put one at 0.88 and at 1.07 of the other. Counts do not drift. They leave out the kernel
# (about a fifth of the generator's CPU at 4,000 sessions a second) and, at the low rate
# valgrind keeps up with, the batching a fast rate gets (several frames a read, several tasks a
# wake-up): a change to what each request or frame costs shows; one to how many system calls a
# session takes does not.
#   [RATE=40] [SERVER_BIN=…] bench/live_cachegrind.sh [BUILD...]
#   (default: this tree's release build; the server: the first build; needs valgrind)
# Prints, per build: sessions started, instructions a session, and the ratio to the first build.
# Over hyper's pooled client a build's count lands on one of two levels some 3 % apart from run
# to run (docs/architecture.md): give each build more than once, in turns.
set -euo pipefail
builds=()
for b in "$@"; do builds+=("$(realpath "$b")"); done
if [ -n "${SERVER_BIN:-}" ]; then SERVER_BIN=$(realpath "$SERVER_BIN"); fi
cd "$(dirname "$0")/.."
source bench/valgrind_builds.sh
server_bin=${SERVER_BIN:-${builds[0]}}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export OMNISIM_ADMIN_TOKEN=bench-admin-token-0123456789
ulimit -n "$(ulimit -Hn)"
sed "s/RATE/${RATE:-40}/; s/^delivery = \"customer_stream\"/delivery = \"channel_stream\"/" \
  bench/capacity.toml > "$work/c.toml"
i=0
for b in "${builds[@]}"; do
  taskset -c 0 "$server_bin" serve --addr 127.0.0.1:18494 --max-connections 60000 \
    > "$work/serve.$i.log" 2>&1 &
  server=$!
  sleep 1
  taskset -c 1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$work/cg.$i" \
    "$b" run "$work/c.toml" --target http://127.0.0.1:18494 --http2 --out "$work/run.$i" \
    > "$work/log.$i" 2>&1 || true
  kill "$server"
  wait "$server" 2>/dev/null || true
  i=$((i + 1))
done
python3 - "$work" "${builds[@]}" <<'PY'
import json, sys
work, builds = sys.argv[1], sys.argv[2:]
first = None
for i, build in enumerate(builds):
    started = json.load(open(f"{work}/run.{i}/summary.json"))["arrivals"]["started"]
    # The file's "summary:" line totals every event counted, here instructions alone.
    total = next(int(l.split()[1]) for l in open(f"{work}/cg.{i}") if l.startswith("summary:"))
    per = total / started
    first = first or per
    print(f"{build}: {started} sessions, {per:9.0f} instructions a session, {per / first:.3f}")
PY
