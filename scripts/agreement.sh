#!/usr/bin/env bash
# agreement.sh: run one scenario through `fleetbench sim` and through
# `fleetbench run` against `fleetbench serve` on loopback, then compare:
# TTFT and TPOT p50/p99 within 5%, cache hit rate within 0.02, equal
# request counts. Prints the comparison table; exits 1 when a check fails,
# 3 when it missed on a host too busy to judge (the client sent requests
# late or the host's timers overshoot: "agreement: INCONCLUSIVE (host too
# busy: ...)"; FLEETBENCH_REALTIME=1 makes that a failure, exit 1).
#
#   scripts/agreement.sh [SCENARIO_FILE]   (default: serve/testdata/agreement.yaml)
#
# Needs only Go; no GPU, no network beyond module downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
. scripts/cgo-flags.sh
work=$(mktemp -d)
pid=""
cleanup() {
	if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

scenario=${1:-serve/testdata/agreement.yaml}

$GO build -o "$work/" ./cmd/fleetbench ./internal/cmd/agreement
fb=$work/fleetbench

port=$((20000 + RANDOM % 20000))
"$fb" serve "$scenario" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q listening "$work/serve.log" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
	sleep 0.1
done
model=$(sed -n 's/^fleetbench serve: model \([^ ]*\) .*/\1/p' "$work/serve.log")

"$fb" sim "$scenario" -o "$work/sim.json" >/dev/null
"$fb" run "$scenario" --target "http://127.0.0.1:$port/v1" --model "$model" -q -o "$work/run.json" >/dev/null

# The comparison table and the verdict line ("agreement: ok, TTFT p50 ...").
# (built, not `go run`: go run turns every exit status into 1)
"$work/agreement" "$work/sim.json" "$work/run.json"
