#!/usr/bin/env bash
# demo.sh: the whole product on a laptop, no GPU. Starts the emulated
# endpoint (`fleetbench serve`), drives it with a built-in scenario for
# ~20 s (`fleetbench run`), simulates the same scenario and fleet
# (`fleetbench sim`), prints both reports side by side and writes
# demo.html. Finishes in well under two minutes.
#
#   scripts/demo.sh [SCENARIO] [DURATION]   (default: mooncake-conversation 20s)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
. scripts/cgo-flags.sh
scenario=${1:-mooncake-conversation}
duration=${2:-20s}
work=$(mktemp -d)
pid=""
cleanup() {
	if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building fleetbench"
$GO build -o "$work/fleetbench" ./cmd/fleetbench
fb=$work/fleetbench

port=$((20000 + RANDOM % 20000))
echo "== starting fleetbench serve $scenario on 127.0.0.1:$port (the simulated fleet, in real time)"
"$fb" serve "$scenario" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q listening "$work/serve.log" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
	sleep 0.1
done
cat "$work/serve.log"
model=$(sed -n 's/^fleetbench serve: model \([^ ]*\) .*/\1/p' "$work/serve.log")

echo "== fleetbench run $scenario against it for $duration"
"$fb" run "$scenario" --target "http://127.0.0.1:$port/v1" --model "$model" --duration "$duration" \
	--scrape "http://127.0.0.1:$port/metrics" -q -o "$work/run.json" >/dev/null
echo "== fleetbench sim $scenario for $duration of arrivals"
"$fb" sim "$scenario" --duration "$duration" -o "$work/sim.json" >/dev/null

"$fb" report "$work/sim.json" >"$work/sim.txt"
"$fb" report "$work/run.json" >"$work/run.txt"
width=$(awk '{ if (length > w) w = length } END { print w + 4 }' "$work/sim.txt")
echo
printf "%-${width}s%s\n" "SIMULATOR (fleetbench sim)" "ENDPOINT (fleetbench run -> serve)"
paste -d '\0' <(awk -v w="$width" '{ printf "%-" w "s\n", $0 }' "$work/sim.txt") "$work/run.txt"
echo
if "$fb" report --help 2>/dev/null | grep -q -- '--html'; then
	"$fb" report "$work/sim.json" "$work/run.json" --html demo.html >/dev/null && echo "== wrote demo.html (open it in a browser)"
fi
