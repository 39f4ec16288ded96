# fleetbench container image (multi-stage; the binary is built by
# scripts/build.sh, exactly as deploy/image_test.go builds it).
#
#   docker build -t fleetbench:dev .                    static, no NVML (default)
#   docker build -t fleetbench:dev-nvml --build-arg NVML=1 .   GPU telemetry via NVML
#
# or `make image` (IMAGE=..., NVML=1). Both run as a non-root user (65532).
# The NVML variant needs the NVIDIA container runtime to mount
# libnvidia-ml.so.1 at run time (for `fleetbench run --gpu-telemetry` on a
# GPU node); without it telemetry reports itself unavailable.

ARG GO_VERSION=1.26.8
# NVML=0: CGO_ENABLED=0, a static binary on an empty (scratch) base.
# NVML=1: cgo on, on a slim glibc base.
ARG NVML=0

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG NVML
ARG VERSION=dev
RUN NVML=${NVML} VERSION=${VERSION} sh scripts/build.sh /out/fleetbench \
 && /out/fleetbench version \
 && mkdir -p /out/tmp /out/work && chmod 1777 /out/tmp

# Runtime bases, chosen by NVML below.
FROM scratch AS runtime-0
FROM debian:bookworm-slim AS runtime-1

FROM runtime-${NVML}
# CA certificates for https targets (`fleetbench run --target https://...`).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/fleetbench /usr/local/bin/fleetbench
# A writable /tmp and working directory for the non-root user.
COPY --from=build /out/tmp /tmp
COPY --from=build --chown=65532:65532 /out/work /work
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/fleetbench"]
CMD ["--help"]
