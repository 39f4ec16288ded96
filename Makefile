# fleetbench — see README.md. Every target builds what it needs.
GO      ?= go
BIN     := bin/fleetbench
PKGS    := ./...
# Packages with concurrency run under the race detector.
RACE_PKGS := ./runners/... ./cmd/...

.PHONY: build test vet fmt-check bench bench-sim demo validate clean

build:
	$(GO) build -o $(BIN) ./cmd/fleetbench

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

test: vet fmt-check
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race $(RACE_PKGS)

bench:
	$(GO) test -run '^$$' -bench . -skip 'SimChat1M' -benchmem $(PKGS)

demo: build
	$(BIN) scenario list
	$(BIN) sim chat

# Performance model against published measurements (CALIBRATION.md), every row.
validate:
	$(GO) test -count=1 -run 'Calibration' -v ./sim/perf ./sim

# The simulator speed goal: 1,000,000 chat requests on a 64-instance fleet.
bench-sim:
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench 'SimChat1M$$' -benchtime 1x -timeout 30m ./sim

clean:
	rm -rf bin
