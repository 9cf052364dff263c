#!/usr/bin/env bash
# Pictures of every report, each from a real run on this machine, for the README: the live
# dashboard mid-run, the run report, the comparison of two runs, the staffing plan and the
# conformance page (with a planted bug, so that it has a failure to show).
#   bench/screenshot.sh [OUT_DIR]        (default docs/images)
# Needs Chromium (Debian: apt-get install chromium). Takes about a minute and a half.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images}
mkdir -p "$out"
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
  echo "no Chromium: apt-get install chromium" >&2
  exit 1
fi
cargo build --release --quiet
bin=target/release/omnisim
work=$(mktemp -d)
run_pid=
cleanup() {
  if [ -n "$run_pid" ]; then kill "$run_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A page as Chromium draws it, WIDTH,HEIGHT, three seconds after it starts loading (a live page
# never finishes loading: its event stream stays open).
shoot() {
  local url=$1 png=$2 size=$3
  "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chrome" --hide-scrollbars --window-size="$size" \
    --timeout=3000 --screenshot="$png" "$url" > /dev/null 2>&1
  # The pictures are committed for the README: recompressed losslessly where optipng is
  # installed (Debian: apt-get install optipng), about 15 % smaller.
  if command -v optipng > /dev/null; then
    optipng -quiet -o5 -strip all "$png"
  fi
  echo "$png"
}

# The dashboard, halfway through a live run with injected faults (reconnect-chaos).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" run scenarios/reconnect-chaos.toml --duration 30s --out "$work/run" \
  --dashboard="127.0.0.1:$port" > "$work/run.log" 2>&1 &
run_pid=$!
sleep 18
shoot "http://127.0.0.1:$port/" "$out/dashboard.png" 1200,1000
wait "$run_pid" || true
run_pid=

shoot "file://$work/run/report.html" "$out/report.png" 1200,1600

# Two virtual runs of the quickstart, the second with one agent fewer in its first group.
sed '0,/count = 4/s//count = 3/' scenarios/quickstart.toml > "$work/fewer.toml"
"$bin" run scenarios/quickstart.toml --virtual --out "$work/base" > /dev/null
"$bin" run "$work/fewer.toml" --virtual --out "$work/fewer" > /dev/null
"$bin" compare "$work/base" "$work/fewer" --html "$work/compare.html" > /dev/null || true
shoot "file://$work/compare.html" "$out/compare.png" 1200,1400

"$bin" plan --arrival-rate 200 --aht 180 --agents 10..16 --target-sl 0.8@20s --patience 300 \
  --out "$work/plan" > /dev/null
shoot "file://$work/plan/plan.html" "$out/plan.png" 1200,1400

"$bin" conform --fault direct_to_anyone --filter 'flows/*' --filter 'routing/*' \
  --out "$work/conformance" > /dev/null || true
shoot "file://$work/conformance/conformance.html" "$out/conformance.png" 1200,1400
