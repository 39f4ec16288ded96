# fleetbench — see README.md. Every target builds what it needs.
GO      ?= go
BIN     := bin/fleetbench
PKGS    := ./...
# Packages with concurrency run under the race detector (with -short: the
# timing-agreement tests, which the detector slows, ran in the plain pass).
# The simulator's only goroutines (sim/pipeline.go) get their own race pass
# (with the tests that stop a run: Config.Stop ends it with both running).
RACE_PKGS := ./runners/... ./serve/... ./sweep/... ./livesweep/... ./gpu/... ./cmd/... ./internal/thp/...

# go-nvml's header marks a few dozen NVML calls deprecated; cgo compiles a
# wrapper for every one and gcc prints ~30 warnings on a cold build. They
# are the vendor header's, not ours: keep them off the first screen.
CGO_CFLAGS ?= -O2 -g
ifeq (,$(findstring -Wno-deprecated-declarations,$(CGO_CFLAGS)))
CGO_CFLAGS += -Wno-deprecated-declarations
endif
export CGO_CFLAGS

.PHONY: build image ci-recipe test test-realtime vet fmt-check tidy-check staticcheck deadcode bench bench-sim bench-scale bench-moe sweep-bench platform-hour demo agreement validate overload overload-search clean

build:
	$(GO) build -o $(BIN) ./cmd/fleetbench

# The container image (Dockerfile): IMAGE names it, NVML=1 builds the cgo
# variant with GPU telemetry (default: the static binary on scratch). Without
# docker or podman and a running engine it says so and builds, instead, the
# binary the image would hold (scripts/build.sh, as the Dockerfile does).
IMAGE ?= fleetbench:dev
NVML  ?= 0
image:
	@tool=""; for t in docker podman; do \
		if command -v $$t >/dev/null 2>&1 && $$t info >/dev/null 2>&1; then tool=$$t; break; fi; \
	done; \
	if [ -z "$$tool" ]; then \
		echo "make image: skipped: no container tool with a running engine (docker or podman); building the binary the image holds instead: bin/fleetbench-image (NVML=$(NVML))"; \
		NVML=$(NVML) sh scripts/build.sh bin/fleetbench-image && bin/fleetbench-image version; \
	else \
		echo "$$tool build --build-arg NVML=$(NVML) -t $(IMAGE) ."; \
		$$tool build --build-arg NVML=$(NVML) -t $(IMAGE) .; \
	fi

# docs/ci.md's recipe on this machine: serve, run deploy/ci/scenario.yaml,
# compare with deploy/ci/baseline.json (go test ./deploy runs it too).
ci-recipe:
	bash scripts/ci-recipe.sh

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# go.mod and go.sum must be what `go mod tidy` writes.
tidy-check:
	@out=$$($(GO) mod tidy -diff 2>&1) || { echo "$$out"; echo "go.mod/go.sum are not what 'go mod tidy' writes (see above): run 'go mod tidy' and commit the result"; exit 1; }

# staticcheck and deadcode are Go tools pinned in go.mod (go tool ...), so
# every machine runs the same version.
staticcheck:
	$(GO) tool staticcheck ./...

# Unreachable functions: see scripts/deadcode-check.sh for the rules and
# scripts/deadcode-allow.txt for what only tests and `make validate` use.
deadcode:
	bash scripts/deadcode-check.sh

test: vet fmt-check tidy-check staticcheck deadcode
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race -short $(RACE_PKGS)
	$(GO) test -count=1 -race -short -run 'TestPipeline|TestPrefetchable|TestStop' ./sim

# Wall-clock agreement tests, on a quiet machine: serve played in real
# time on loopback against the simulator's prediction within 5% (1,000
# concurrent streams; the 25 s agreement scenario), and the runners' timing
# against what the test servers did (1 ms for streams, a poll interval for
# video jobs) and their scripts. They measure the host as much as the code:
# `make test` skips the first and gates the others only while the host is
# quiet (internal/hostnoise).
test-realtime:
	FLEETBENCH_REALTIME=1 $(GO) test -count=1 -v -run 'TestThousandConcurrentStreams|TestAgreementSimVsServe' ./serve
	FLEETBENCH_REALTIME=1 $(GO) test -count=1 -run 'TestTimingMatchesScript|TestMultiTokenChunks|TestProcessPacerDrivesVegeta' ./runners ./runners/video

bench:
	$(GO) test -run '^$$' -bench . -skip 'SimChat1M|MoEPlatform' -benchmem $(PKGS)

# The central claim in about a minute (scripts/demo.sh): sim and
# run->serve agree on serve/testdata/demo.yaml (verdict line), then 3x the
# traffic misses the SLO and sweep --search min-fleet finds the fleet that
# meets it; writes demo.html.
demo:
	bash scripts/demo.sh

# sim vs run-against-serve on loopback: TTFT/TPOT p50/p99 within 5%, cache
# hit rate within 0.02, equal request counts; prints the comparison table.
agreement:
	bash scripts/agreement.sh

# The runner under overload: fleetbench run vs vegeta's Attacker, alternated,
# open loop on one loopback server; verdict and whole-process figures per
# run. RATES="8000 12000" make overload picks the rates.
overload:
	bash scripts/overload.sh pairs $(RATES)

# Each tool's max clean open-loop rate (bisection on rate, 3 alternated runs
# per rate, 3 searches) and the ratio fleetbench / vegeta per search;
# SEARCH="-searches 1 -dur 5s" changes the defaults (docs/load-generator.md).
overload-search:
	bash scripts/overload.sh search $(SEARCH)

# Performance model against published measurements (docs/calibration.md), every row.
validate:
	$(GO) test -count=1 -run 'Calibration' -v ./sim/perf ./sim

# The simulator speed goal: 1,000,000 chat requests on a 64-instance fleet.
bench-sim:
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench 'SimChat1M' -benchtime 1x -timeout 30m ./sim

# Per-request CPU and memory per cached KV block from 8 to 10,000
# instances (200 chat requests each, 16-token blocks; the 10,000 size is
# 2,000,000 requests and a few GB, so make bench skips it), then this
# machine's random-access latency at the working-set sizes that the KV
# state reaches (kv-state-MB; make bench runs only the sizes up to 128 MB).
bench-scale:
	FLEETBENCH_SIMSCALE_10K=1 GOMAXPROCS=1 $(GO) test -run '^$$' -bench 'SimScale' -benchtime 1x -timeout 60m ./sim
	FLEETBENCH_SIMSCALE_10K=1 GOMAXPROCS=1 $(GO) test -run '^$$' -bench 'MemoryLatency' -timeout 10m ./sim

# The moe-platform built-in (DeepSeek-V3 on wide-EP PD units) on one core:
# the goal is under a minute.
bench-moe:
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench 'MoEPlatform' -benchtime 1x -timeout 10m ./sim

# A 100-point fleet sweep of the chat scenario (prefill 1..10 x decode 1..10).
sweep-bench: build
	time $(BIN) sweep chat --prefill 1..10 --decode 1..10 -o /tmp/sweep100.json > /dev/null

# One peak hour of a ~30M tokens/s platform on ~10,000 instances, at full
# scale: prints wall time and peak memory, then the report.
platform-hour: build
	/usr/bin/time -f 'wall %e s, user %U s, peak RSS %M KB' $(BIN) sim platform-hour -o platform-hour.json --format table

clean:
	rm -rf bin
