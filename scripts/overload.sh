#!/usr/bin/env bash
# Open-loop comparison with vegeta's Attacker on one trivial loopback server
# (loadprobe serve, a separate process), non-streaming, whole processes,
# alternated (fleetbench, vegeta, fleetbench, vegeta, ...).
#
#   scripts/overload.sh pairs [-runs N] [-dur 10s] RATE...   (make overload)
#   scripts/overload.sh search [-runs 3] [-searches 3] [-lo 1000] [-hi 32000]
#                                                             (make overload-search)
#
# pairs prints one verdict per run; search bisects on rate for each tool's
# max clean rate and prints the ratio fleetbench / vegeta per search. A run
# is clean when every scheduled request was sent, none failed, the schedule
# delay p99 is at most 50 ms and the achieved rate is at least 99% of the
# offered one (runners/internal/loadprobe, docs/load-generator.md).
#   FLEETBENCH=/path/to/other/fleetbench scripts/overload.sh pairs 10000
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/fleetbench ./cmd/fleetbench
go build -o bin/loadprobe ./runners/internal/loadprobe
mode=${1:-pairs}
shift || true
exec bin/loadprobe "$mode" -fleetbench "${FLEETBENCH:-bin/fleetbench}" "$@"
