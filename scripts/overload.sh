#!/usr/bin/env bash
# Open-loop overload comparison (make overload): fleetbench run against
# vegeta's Attacker, alternated, on one trivial loopback server (a separate
# process: loadprobe serve), non-streaming, 10 s per run, at each rate given
# (default 4000 8000 12000 16000 req/s). Each run prints one verdict line
# (clean = every request sent and answered, schedule delay p99 <= 50 ms)
# and its whole-process wall time, CPU and peak RSS.
#   FLEETBENCH=/path/to/other/fleetbench scripts/overload.sh 10000 15000
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/fleetbench ./cmd/fleetbench
go build -o bin/loadprobe ./runners/internal/loadprobe
fb=${FLEETBENCH:-bin/fleetbench}
dur=${DURATION:-10s}
tmp=$(mktemp -d)
bin/loadprobe serve "$tmp/url" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
url=$(cat "$tmp/url")
for rate in "${@:-4000 8000 12000 16000}"; do
	for rate1 in $rate; do
		/usr/bin/time -f "  fleetbench whole process: wall %e s, cpu %U+%S s, peak RSS %M KB" \
			"$fb" run runners/internal/loadprobe/const-chat.yaml --target "$url" --model m \
			--rate "$rate1" --duration "$dur" --no-stream --gpu-telemetry off -q -o "$tmp/r.json" --format json >/dev/null || true
		bin/loadprobe judge "$tmp/r.json" "$rate1" "$dur"
		/usr/bin/time -f "  vegeta whole process: wall %e s, cpu %U+%S s, peak RSS %M KB" \
			bin/loadprobe vegeta "$url" "$rate1" "$dur"
	done
done
