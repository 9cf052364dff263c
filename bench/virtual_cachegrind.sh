#!/usr/bin/env bash
# What a virtual-time session costs in work rather than in time: instructions and cache misses
# per session of bench/virtual.toml, counted by valgrind's cachegrind with one core of this
# machine as its cache (32 KB first level, 1 MB second level). Unlike wall time, these counts do
# not drift with the machine's speed: two builds compare in one run each, where
# bench/virtual_compare.sh needs rounds, and a change of a few percent shows. They do not weigh a
# miss by what it costs, nor see a second core or the processor's prefetching of neighbouring
# lines: a change that moves work to another thread, or memory next to what is read anyway, is
# judged by bench/virtual_compare.sh. Both threads' counts are added together.
#   [SESSIONS=20000] [TOP=0] bench/virtual_cachegrind.sh [BUILD...]
#   (default: this tree's release build; needs valgrind: apt-get install valgrind)
# Prints, per build: instructions, first-level read misses and second-level read and write
# misses, each per session, and the ratio of each to the first build's. TOP=N adds each
# build's N functions with the most second-level read misses, with their per-session counts.
set -euo pipefail
builds=()
for b in "$@"; do builds+=("$(realpath "$b")"); done
cd "$(dirname "$0")/.."
source bench/valgrind_builds.sh
sessions=${SESSIONS:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s/RATE/100/; s/DURATION/$((sessions / 100))s/" bench/virtual.toml > "$work/scenario.toml"
i=0
for b in "${builds[@]}"; do
  valgrind --tool=cachegrind --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 \
    --LL=1048576,16,64 --cachegrind-out-file="$work/cg.$i" \
    "$b" run "$work/scenario.toml" --virtual --out "$work/run.$i" > "$work/log.$i" 2>&1
  sed -nE 's/^sessions: ([0-9]+) started.*/\1/p' "$work/log.$i" > "$work/sessions.$i"
  i=$((i + 1))
done
python3 - "$work" "${TOP:-0}" "${builds[@]}" <<'PY'
import collections, sys
work, top, builds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
wanted = ["Ir", "D1mr", "DLmr", "DLmw"]
label = {"Ir": "instructions", "D1mr": "L1 read misses", "DLmr": "L2 read misses",
         "DLmw": "L2 write misses"}
first = None
for i, build in enumerate(builds):
    n = int(open(f"{work}/sessions.{i}").read().strip())
    # Every count line follows the file's "events:" line, which says how many there are.
    events, fn, per_fn = None, None, collections.defaultdict(lambda: [0] * len(events))
    for line in open(f"{work}/cg.{i}"):
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("fn="):
            fn = line[3:].strip()
        elif line[:1].isdigit():
            counts = per_fn[fn]
            for k, v in enumerate(line.split()[1:]):
                counts[k] += int(v)
    at = {e: events.index(e) for e in wanted}
    totals = {e: sum(c[at[e]] for c in per_fn.values()) / n for e in wanted}
    first = first or totals
    print(f"{build}: {n} sessions")
    for e in wanted:
        print(f"  {label[e]:16} {totals[e]:12.1f} a session  {totals[e] / first[e]:6.3f}")
    if top:
        print(f"  {'instr':>9} {'L1 rd':>7} {'L2 rd':>7} {'L2 wr':>7}  function, per session")
        ranked = sorted(per_fn.items(), key=lambda kv: -kv[1][at["DLmr"]])
        for name, c in ranked[:top]:
            cells = " ".join(f"{c[at[e]] / n:{9 if e == 'Ir' else 7}.1f}" for e in wanted)
            print(f"  {cells}  {name[:100]}")
PY
