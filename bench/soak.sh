#!/usr/bin/env bash
# The reference server's memory under a steady load: `omnisim serve --retention RETENTION` in a
# process of its own, driven by bench/soak.toml (RATE new customers a second, each writing in
# five times on average) for DURATION, its resident set read every 10 s. Prints the resident set
# at the end of each minute and how the last minute compares with the third (by then the
# retention period has filled: sessions, transcripts and message ids leave as fast as they come).
#   [RATE=20] [DURATION=10m] [RETENTION=1m] bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-20}
DURATION=${DURATION:-10m}
RETENTION=${RETENTION:-1m}
BIN=target/release/omnisim
cargo build --release --quiet
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export OMNISIM_ADMIN_TOKEN=bench-admin-token-0123456789
sed "s/RATE/$RATE/; s/DURATION/$DURATION/" bench/soak.toml > "$WORK/soak.toml"

"$BIN" serve --addr 127.0.0.1:18490 --retention "$RETENTION" > "$WORK/serve.log" 2>&1 &
SERVER=$!
sleep 1
"$BIN" run "$WORK/soak.toml" --target http://127.0.0.1:18490 --out "$WORK/run" > "$WORK/run.log" 2>&1 &
RUN=$!
start=$(date +%s)
echo "second rss_MB"
while kill -0 "$RUN" 2>/dev/null; do
  sleep 10
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status")
  echo "$(( $(date +%s) - start )) $((rss / 1024))" | tee -a "$WORK/rss"
done
wait "$RUN" || echo "the run failed: $(tail -3 "$WORK/run.log")"
grep -E '^(sessions|routing|history)' "$WORK/run.log" || true
python3 - "$WORK/rss" <<'PY'
import sys
samples = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
# The resident set at the end of each whole minute: its last sample.
minutes = {}
for second, mb in samples:
    tick = round(second / 10)  # samples come every ten seconds, give or take one
    if tick % 6 == 0:
        minutes[tick // 6] = mb
print("minute rss_MB:", ", ".join(f"{m}: {mb}" for m, mb in sorted(minutes.items())))
last = max(minutes, default=0)
if 3 in minutes and last > 3:
    ratio = minutes[last] / minutes[3]
    print(f"minute {last} / minute 3: {ratio:.3f} ({(ratio - 1) * 100:+.1f} %)")
PY
