# audguard — build, test and tooling entry points. See README.md.
GO        ?= go
WASM      := build/audguard.wasm
FUZZTIME  ?= 20s
PKGS      := ./...

.PHONY: all build test vet check fuzz clean help

all: build

## build: compile the proxy-wasm module to build/audguard.wasm (standard Go, wasip1 reactor).
build: $(WASM)

$(WASM): go.mod go.sum $(shell find filter canonical jwtlite -name '*.go' -not -name '*_test.go' 2>/dev/null)
	@mkdir -p build
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $@ ./filter

## test: everything that runs without Docker: vet, unit tests, fuzz seed corpora, wasm tests.
test: build vet
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e ./e2e/

## check: fail if gofmt or go mod tidy would change anything.
check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@cp go.mod build/.go.mod.bak 2>/dev/null || { mkdir -p build; cp go.mod build/.go.mod.bak; }; cp go.sum build/.go.sum.bak
	@$(GO) mod tidy; if ! cmp -s go.mod build/.go.mod.bak || ! cmp -s go.sum build/.go.sum.bak; then \
		echo "go mod tidy changes go.mod/go.sum; run it and commit"; cp build/.go.mod.bak go.mod; cp build/.go.sum.bak go.sum; exit 1; fi
	@echo "check: gofmt and go mod tidy clean"

## fuzz: run every fuzz target for FUZZTIME each (default 20s).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf build

# Packaging (oci, e2e), CLI demo and benchmark targets live beside this file.
include $(wildcard mk/*.mk)
