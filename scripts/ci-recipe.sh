#!/usr/bin/env bash
# ci-recipe.sh: the CI recipe of docs/ci.md, run locally against
# `fleetbench serve` on loopback (the dry run: the simulated fleet stands in
# for a real server). Three steps, as in the GitHub Actions and GitLab jobs:
#
#   1. start the server       fleetbench serve SCENARIO on 127.0.0.1
#   2. run the scenario       fleetbench run SCENARIO --target ... -o current.json
#   3. gate on the baseline   fleetbench compare BASELINE current.json --fail-on GATES
#
#   scripts/ci-recipe.sh [SCENARIO [BASELINE]]
#       (default: deploy/ci/scenario.yaml deploy/ci/baseline.json)
#
# Environment:
#   FLEETBENCH       a fleetbench binary (default: built with scripts/build.sh)
#   GATES            compare gates (default: errors, TTFT and TPOT medians)
#   OUT              keep current.json, current.jsonl and compare.md here
#   UPDATE_BASELINE  1: write this run as BASELINE instead of gating
#
# Exit status: compare's (0 every gate passes, 1 a gate failed, 2 bad
# input); 1 when the server does not start or the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-deploy/ci/scenario.yaml}
baseline=${2:-deploy/ci/baseline.json}
gates=${GATES:-error_rate>+0.01,ttft.p50>+25%,tpot.p50>+25%,cache_hit_rate<-0.05}
work=$(mktemp -d)
out=${OUT:-$work}
mkdir -p "$out"
pid=""
cleanup() {
	if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

fb=${FLEETBENCH:-}
if [[ -z "$fb" ]]; then
	fb=$work/fleetbench
	sh scripts/build.sh "$fb"
fi

# 1. The server: a free loopback port, then wait for "listening".
port=$((20000 + RANDOM % 20000))
"$fb" serve "$scenario" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
	grep -q listening "$work/serve.log" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || { echo "ci-recipe: fleetbench serve exited:"; cat "$work/serve.log"; exit 1; }
	sleep 0.1
done
grep -q listening "$work/serve.log" || { echo "ci-recipe: fleetbench serve did not start in 30 s"; cat "$work/serve.log"; exit 1; }
model=$(sed -n 's/^fleetbench serve: model \([^ ]*\) .*/\1/p' "$work/serve.log")

# 2. The scenario against it (a real server: its URL and model instead).
"$fb" run "$scenario" --target "http://127.0.0.1:$port/v1" --model "$model" -q \
	-o "$out/current.json" --records "$out/current.jsonl"

if [[ ${UPDATE_BASELINE:-0} == 1 ]]; then
	cp "$out/current.json" "$baseline"
	echo "ci-recipe: wrote the baseline $baseline"
	exit 0
fi

# 3. The gate: compare's exit status is the job's.
set +e
"$fb" compare "$baseline" "$out/current.json" --fail-on "$gates" --format markdown >"$out/compare.md"
rc=$?
set -e
cat "$out/compare.md"
echo "ci-recipe: compare exit status $rc (gates: $gates)"
exit "$rc"
