#!/usr/bin/env bash
# The reference server's memory under a steady load: `omnisim serve --retention RETENTION` in a
# process of its own, driven by bench/soak.toml (RATE new customers a second, each writing in
# twice on average) for DURATION, its resident set read every 10 s. Prints, at the end of
# each minute, the resident set, the messages the server stored in that minute (the load: it
# rises in the first two minutes, while returning customers add up) and the sessions it holds
# (open, and ended within the retention period), then how the last minute compares with the
# third (by then the retention period has filled: sessions, transcripts and message ids leave as
# fast as they come).
#   [RATE=50] [DURATION=10m] [RETENTION=1m] bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-50}
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
# The server's own figures: messages stored so far, and sessions held in any status.
held() {
  curl -s http://127.0.0.1:18490/metrics | awk '
    /^omnisim_messages_total / { m = $2 }
    /^omnisim_sessions\{/ { s += $2 }
    END { print m + 0, s + 0 }'
}
echo "second rss_MB messages sessions_held"
while kill -0 "$RUN" 2>/dev/null; do
  sleep 10
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status")
  echo "$(( $(date +%s) - start )) $((rss / 1024)) $(held)" | tee -a "$WORK/rss"
done
wait "$RUN" || echo "the run failed: $(tail -3 "$WORK/run.log")"
grep -E '^(sessions|routing|history)' "$WORK/run.log" || true
python3 - "$WORK/rss" <<'PY'
import sys
samples = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
# Each whole minute's last sample: the resident set, messages so far, sessions held.
minutes = {}
for second, mb, messages, held in samples:
    tick = round(second / 10)  # samples come every ten seconds, give or take one
    if tick % 6 == 0:
        minutes[tick // 6] = (mb, messages, held)
print("minute rss_MB messages_in_minute sessions_held")
before = 0
for m, (mb, messages, held) in sorted(minutes.items()):
    print(f"{m:6d} {mb:6d} {messages - before:18d} {held:13d}")
    before = messages
last = max(minutes, default=0)
if 2 in minutes and 3 in minutes and last > 3:
    pct = lambda a, b: f"{(a / b - 1) * 100:+.1f} %"
    rss = minutes[last][0] / minutes[3][0]
    # Messages stored in a minute: the difference from the minute before.
    load = lambda m: minutes[m][1] - minutes[m - 1][1]
    print(f"minute {last} / minute 3: {rss:.3f} ({(rss - 1) * 100:+.1f} %), at a load of "
          f"{pct(load(last), load(3))} and {pct(minutes[last][2], minutes[3][2])} sessions held")
PY
