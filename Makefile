# zeval — two commands do everything on a fresh Debian 12 machine: `make run` and `make test`.
SHELL := /bin/sh
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
ADDR ?= 127.0.0.1:8080
BIN := bin/zeval

.PHONY: setup build run test bench fuzz vet clean

setup:
	@./scripts/setup.sh

build: setup
	$(GO) build -o $(BIN) ./cmd/zeval

# The demo library is imported into zeval.db (idempotent: unchanged objects make no revision).
DB ?= zeval.db
run: build
	./$(BIN) import --db $(DB) internal/library/demo
	./$(BIN) serve --addr $(ADDR) --db $(DB)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal bench 2>/dev/null)" || { gofmt -l cmd internal bench; echo "gofmt needed"; exit 1; }

test: setup vet
	$(GO) test -count=1 -race -timeout 20m ./...

# Benchmarks print figures and ratios against baselines measured in the same run; they pass or
# fail nothing. Each bench/ program is one part of the picture; the Go benchmarks are per call.
BENCHES := $(sort $(dir $(wildcard bench/*/main.go)))
bench: build
	@for b in $(BENCHES); do echo "== $$b"; $(GO) run ./$$b || exit 1; echo; done
	$(GO) test -run '^$$' -bench . -benchmem ./internal/orchestrator ./internal/api ./internal/zobject ./internal/js ./internal/cache ./internal/runtime

FUZZTIME ?= 60s

# Every fuzz target of the module, one after another, FUZZTIME each (go test fuzzes one target at a time).
fuzz: setup
	@grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read f; do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$(dirname $$f) $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f) || exit 1; \
		done; \
	done

clean:
	rm -rf bin
