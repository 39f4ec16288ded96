#!/bin/sh
# build.sh OUT: build the fleetbench binary the way the container image does
# (the Dockerfile runs this script; deploy/image_test.go runs it too).
#
#   NVML=0 (default)  CGO_ENABLED=0: one static binary that runs on any
#                     Linux (scratch image). GPU telemetry reports itself
#                     unavailable ("built without cgo"); everything else works.
#   NVML=1            cgo on: GPU telemetry through NVML, which go-nvml loads
#                     at run time (libnvidia-ml.so.1, mounted by the NVIDIA
#                     container runtime); needs glibc in the image.
#   VERSION           stamped into `fleetbench version` (default dev).
set -eu
out=${1:?usage: scripts/build.sh OUT}
cd "$(dirname "$0")/.."
case "${NVML:-0}" in
1)
	export CGO_ENABLED=1
	. scripts/cgo-flags.sh
	;;
0) export CGO_ENABLED=0 ;;
*)
	echo "build.sh: NVML=${NVML} must be 0 or 1" >&2
	exit 2
	;;
esac
exec "${GO:-go}" build -ldflags "-s -w -X main.version=${VERSION:-dev}" -o "$out" ./cmd/fleetbench
