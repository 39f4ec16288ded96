#!/usr/bin/env bash
# gpu-check.sh: check fleetbench's GPU telemetry end to end on a machine with
# an NVIDIA GPU and driver.
#
#   1. builds fleetbench (with cgo: NVML needs it), or uses $FLEETBENCH_BIN
#   2. fleetbench gpu info       (fails here if NVML or the GPU is missing)
#   3. fleetbench serve          (emulated endpoint, in the background), unless
#                                $TARGET names a real server to load instead
#   4. fleetbench run chat --duration 30s --gpu-telemetry auto -o $OUT
#   5. fleetbench gpu summary    (fails if the result holds no GPU samples)
#   6. stops the server (also on error or Ctrl-C)
#
# The emulated server computes no tokens on the GPU, so against it the GPUs
# stay near idle: the check proves that sampling, energy and the result file
# work. Point TARGET at a GPU-backed server (vLLM, SGLang, ...) to measure one.
# The chat scenario's first 30 s are warm-up, so with the default 30 s the
# latency report is nearly empty; the telemetry (and its energy per output
# token) covers the whole run, warm-up included. DURATION=90s gives both.
#
# Environment (all optional):
#   FLEETBENCH_BIN  prebuilt binary (skips the build; for machines without Go
#                   or without module downloads)
#   ADDR            serve address            (default 127.0.0.1:8000)
#   TARGET          API base URL to load     (default http://$ADDR/v1 via serve)
#   MODEL           "model" field to send    (default: the server's own)
#   SCENARIO        scenario to run          (default chat)
#   DURATION        run duration             (default 30s)
#   OUT             result file              (default /tmp/gpu-run.json)
#
# Exit status: 0 when telemetry was recorded, 1 on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDR=${ADDR:-127.0.0.1:8000}
TARGET=${TARGET:-}
MODEL=${MODEL:-}
SCENARIO=${SCENARIO:-chat}
DURATION=${DURATION:-30s}
OUT=${OUT:-/tmp/gpu-run.json}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
SERVER_PID=""
CHILD_PID=""

step() { printf '\n== %s\n' "$*"; }
die() {
	printf 'gpu-check: %s\n' "$*" >&2
	exit 1
}

# stop_pid PID: TERM, then KILL after 10 s.
stop_pid() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# cleanup stops the command in progress and the server we started, and
# removes the work folder, whatever way the script ends.
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $CHILD_PID ]]; then
		stop_pid "$CHILD_PID"
	fi
	if [[ -n $SERVER_PID ]]; then
		stop_pid "$SERVER_PID"
	fi
	if [[ $rc -ne 0 && -s $WORK/serve.log ]]; then
		echo "--- last lines of the serve log:" >&2
		tail -n 20 "$WORK/serve.log" >&2 || true
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# waitrun CMD...: runs CMD in the background and waits for it, so that a
# TERM or Ctrl-C reaches the traps at once instead of after CMD ends
# (bash runs traps only between foreground commands).
waitrun() {
	"$@" &
	CHILD_PID=$!
	local rc=0
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=""
	return "$rc"
}

# health_ok HOST PORT: GET /health answers 200 (plain bash, no curl needed).
# The subshell keeps the socket and its error messages out of this shell.
health_ok() {
	(
		exec 3<>"/dev/tcp/$1/$2" &&
			printf 'GET /health HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" >&3 &&
			IFS= read -r -t 2 status <&3 &&
			[[ $status == *" 200"* ]]
	) 2>/dev/null
}

# duration_s turns 30s, 2m or 1h into seconds (for timeouts); any other
# Go duration (1m30s, 500ms) gets an hour, which is still a bound.
duration_s() {
	local d=$1
	if [[ $d =~ ^([0-9]+)([smh])$ ]]; then
		case ${BASH_REMATCH[2]} in
		s) echo "${BASH_REMATCH[1]}" ;;
		m) echo $((BASH_REMATCH[1] * 60)) ;;
		h) echo $((BASH_REMATCH[1] * 3600)) ;;
		esac
	else
		echo 3600
	fi
}

if [[ -n ${FLEETBENCH_BIN:-} ]]; then
	BIN=$FLEETBENCH_BIN
	[[ -x $BIN ]] || die "FLEETBENCH_BIN=$BIN is not an executable file"
else
	step "build fleetbench (cgo on, for NVML)"
	command -v go >/dev/null || die "go is not on PATH: install Go or set FLEETBENCH_BIN to a prebuilt fleetbench"
	BIN=$WORK/fleetbench
	# -Wno-deprecated-declarations: go-nvml's generated bindings call NVML
	# functions that CUDA 13 headers mark deprecated; the warnings are noise.
	waitrun env CGO_ENABLED=1 CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -Wno-deprecated-declarations" \
		timeout 600 go -C "$ROOT" build -o "$BIN" ./cmd/fleetbench || die "build failed"
fi
"$BIN" version

step "fleetbench gpu info"
timeout 60 "$BIN" gpu info || die "gpu info failed"
timeout 60 "$BIN" gpu info --format json >"$WORK/info.json" || die "gpu info --format json failed"
if ! grep -q '"status": "ok"' "$WORK/info.json"; then
	die "no GPU visible to NVML (see the line above): this check needs an NVIDIA GPU and driver"
fi

if [[ -z $TARGET ]]; then
	step "fleetbench serve --addr $ADDR (background)"
	host=${ADDR%:*}
	port=${ADDR##*:}
	if health_ok "$host" "$port"; then
		die "something already answers on $ADDR: stop it or set ADDR to a free host:port"
	fi
	"$BIN" serve --addr "$ADDR" >"$WORK/serve.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 300); do # up to 30 s
		health_ok "$host" "$port" && break
		kill -0 "$SERVER_PID" 2>/dev/null || die "fleetbench serve exited during start-up"
		sleep 0.1
	done
	health_ok "$host" "$port" || die "fleetbench serve did not answer GET /health on $ADDR within 30 s"
	echo "serving on http://$ADDR/v1 (pid $SERVER_PID)"
	TARGET=http://$ADDR/v1
fi

step "fleetbench run $SCENARIO --target $TARGET --duration $DURATION --gpu-telemetry auto"
run_args=(run "$SCENARIO" --target "$TARGET" --duration "$DURATION" --gpu-telemetry auto -o "$OUT")
if [[ -n $MODEL ]]; then
	run_args+=(--model "$MODEL")
fi
# Allow the duration plus time for requests in flight to finish.
limit=$(($(duration_s "$DURATION") + 300))
waitrun timeout "$limit" "$BIN" "${run_args[@]}" || die "fleetbench run failed (exit $?)"
[[ -s $OUT ]] || die "fleetbench run wrote no result to $OUT"

step "telemetry summary ($OUT)"
if ! "$BIN" gpu summary "$OUT" --require; then
	die "the run recorded no GPU telemetry: check the line above; if it says 'not recorded', this fleetbench's run command does not wire --gpu-telemetry to the gpu sampler"
fi

step "result"
"$BIN" report "$OUT" || die "fleetbench report failed"

echo
echo "gpu-check: OK (result in $OUT)"
