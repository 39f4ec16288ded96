# fleetbench — see README.md. Every target builds what it needs.
GO      ?= go
BIN     := bin/fleetbench
PKGS    := ./...
# Packages with concurrency run under the race detector.
RACE_PKGS := ./runners/... ./cmd/...

.PHONY: build test vet fmt-check bench demo validate clean

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
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

demo: build
	$(BIN) scenario list
	$(BIN) scenario stats chat

clean:
	rm -rf bin
