# mk/cli.mk — the operator CLI and the "try it" demo. Included by the Makefile.

.PHONY: demo cli

## demo: run build/audguard.wasm in-process (wazero) with envoy/demo-config.json and print how it
## answers scripted requests (tokens minted with the TEST-ONLY keys in e2e/keys). Needs only Go.
demo: $(WASM)
	$(GO) run ./cmd/audguard/demo --wasm $(WASM) --config envoy/demo-config.json --keys e2e/keys

## cli: build the operator CLI to build/audguard, version stamped (or: go install ./cmd/audguard).
cli:
	@mkdir -p build
	$(GO) build -trimpath -ldflags '$(GO_LDFLAGS)' -o build/audguard ./cmd/audguard
