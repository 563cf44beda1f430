# audguard — build, test and tooling entry points. See README.md; `make help` lists the targets.
GO        ?= go
WASM      := build/audguard.wasm
FUZZTIME  ?= 20s
PKGS      := ./...

# The version stamped into the module (its start log line), the CLI (`audguard version`) and the
# OCI image (`make oci`): `git describe --tags --always --dirty` (a commit hash in a clone without
# tags) and the commit, or "dev" and "unknown" where git or the clone is missing. Override on the
# command line: make build VERSION=v1.2.3 REVISION=<commit>.
VERSION    := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION   := $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
GO_LDFLAGS := -X main.version=$(VERSION) -X main.revision=$(REVISION)

.PHONY: all build test vet check fuzz clean help

## all: the default goal: build.
all: build

## build: compile the proxy-wasm module to build/audguard.wasm (standard Go, wasip1 reactor; VERSION stamped).
build: $(WASM)

$(WASM): go.mod go.sum build/.version $(shell find filter canonical jwtlite -name '*.go' -not -name '*_test.go' 2>/dev/null)
	@mkdir -p build
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags '$(GO_LDFLAGS)' -o $@ ./filter

# build/.version holds "VERSION REVISION" of the last build and is rewritten only when they change,
# so a new commit or tag rebuilds the module (filter/version_test.go reads it too).
build/.version: FORCE
	@mkdir -p build; v='$(VERSION) $(REVISION)'; [ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@
FORCE:

## test: everything that runs without Docker: vet, unit tests, fuzz seed corpora, wasm tests.
test: build vet
	$(GO) test -count=1 $(PKGS)

## vet: go vet, also with the e2e and e2enginx build tags.
vet:
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e ./e2e/
	$(GO) vet -tags e2enginx ./e2e/nginx/
	$(GO) vet -tags e2enginx,profile ./e2e/nginx/

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

## clean: remove build/.
clean:
	rm -rf build

## help: list the targets, one line each (from their "## target: text" comments).
help:
	@awk '/^## [A-Za-z0-9_.-]+:/ { if (t != "") printf "  %-12s %s\n", t, d; t = $$2; sub(/:$$/, "", t); d = $$0; sub(/^## [^:]+: */, "", d); next } \
		/^## / && t != "" { d = d " " substr($$0, 4); next } \
		{ if (t != "") printf "  %-12s %s\n", t, d; t = "" } \
		END { if (t != "") printf "  %-12s %s\n", t, d }' $(MAKEFILE_LIST)

# Packaging (oci, e2e), CLI demo and benchmark targets live beside this file.
include $(wildcard mk/*.mk)
