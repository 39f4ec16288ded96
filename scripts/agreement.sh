#!/usr/bin/env bash
# agreement.sh: run one scenario through `fleetbench sim` and through
# `fleetbench run` against `fleetbench serve` on loopback, then compare:
# TTFT and TPOT p50/p99 within 5%, cache hit rate within 0.02, equal
# request counts. Prints the comparison table; exits 1 when a check fails.
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

$GO build -o "$work/fleetbench" ./cmd/fleetbench
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

# Compare with jq-free Go: the results package reads both files.
cat >"$work/compare.go" <<'GO'
package main

import (
	"fmt"
	"math"
	"os"

	"github.com/fleetbench/fleetbench/results"
)

func main() {
	s, err := results.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r, err := results.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fail := false
	fmt.Printf("%-10s %-16s %12s %12s %8s  %s\n", "class", "metric", "sim", "run/serve", "diff", "ok")
	for name, sc := range s.Classes {
		rc := r.Classes[name]
		if rc == nil {
			fmt.Printf("%-10s missing from the run result\n", name)
			fail = true
			continue
		}
		row := func(metric string, a, b, tol float64, abs bool) {
			d := b - a
			ok := math.Abs(d) <= tol
			if !abs {
				ok = math.Abs(d) <= tol*math.Abs(a)
				d = d / a * 100
			}
			fail = fail || !ok
			unit := "%"
			if abs {
				unit = ""
			}
			fmt.Printf("%-10s %-16s %12.4g %12.4g %7.3g%s  %v\n", name, metric, a, b, d, unit, ok)
		}
		row("requests", float64(sc.Requests), float64(rc.Requests), 0, true)
		row("ttft p50 ms", sc.TTFT.P50, rc.TTFT.P50, 0.05, false)
		row("ttft p99 ms", sc.TTFT.P99, rc.TTFT.P99, 0.05, false)
		row("tpot p50 ms", sc.TPOT.P50, rc.TPOT.P50, 0.05, false)
		row("tpot p99 ms", sc.TPOT.P99, rc.TPOT.P99, 0.05, false)
		row("cache hit rate", sc.CacheHitRate, rc.CacheHitRate, 0.02, true)
	}
	if fail {
		fmt.Println("AGREEMENT FAILED")
		os.Exit(1)
	}
	fmt.Println("agreement: ok")
}
GO
mkdir -p "$work/cmp" && mv "$work/compare.go" "$work/cmp/main.go"
$GO run "$work/cmp/main.go" "$work/sim.json" "$work/run.json"
