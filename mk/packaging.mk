# Packaging and end-to-end targets. Included from the top-level Makefile:
#   include mk/packaging.mk
#
#   make e2e          Envoy + build/audguard.wasm + two MCP servers in Docker, then go test -tags e2e ./e2e/
#                     (prints one "e2e: skipped: ..." line and succeeds when no Docker daemon is available)
#   make oci          OCI image of the module for Istio oci:// URLs: build/oci/ (OCI layout) and
#                     build/audguard-oci.tar (tar of that layout, "oci-archive"); no Docker needed
#   make -s oci-digest  print the image's manifest digest (hex) for WasmPlugin.spec.sha256

GO          ?= go
WASM        ?= build/audguard.wasm
OCI_REF     ?= audguard:dev
ENVOY_IMAGE ?= envoyproxy/envoy
ENVOY_TAG   ?= v1.39.6
E2E_COMPOSE := docker compose -f e2e/docker-compose.yaml
E2E_ENV     := AUDGUARD_E2E_URL=http://127.0.0.1:10000 AUDGUARD_E2E_ADMIN_URL=http://127.0.0.1:9902 AUDGUARD_E2E_REQUIRE=1

.PHONY: e2e oci oci-digest

# OCI image annotations: org.opencontainers.image.version and .revision are VERSION and REVISION
# (Makefile); .source is OCI_SOURCE, by default wasm-oci's (https://github.com/audguard/audguard).
OCI_SOURCE  ?=
OCI_META     = -version '$(VERSION)' -revision '$(REVISION)' $(if $(OCI_SOURCE),-source '$(OCI_SOURCE)')

## e2e: Envoy + the module + two MCP servers in Docker Compose, then the e2e tests (skips without Docker).
e2e:
	@if ! docker info >/dev/null 2>&1; then \
		echo "e2e: skipped: no Docker daemon available (docker info failed)"; exit 0; \
	fi; \
	set -e; \
	$(MAKE) --no-print-directory build; \
	export ENVOY_IMAGE='$(ENVOY_IMAGE)' ENVOY_TAG='$(ENVOY_TAG)'; \
	echo "e2e: $$ENVOY_IMAGE:$$ENVOY_TAG"; \
	$(E2E_COMPOSE) up -d --build; \
	status=0; \
	$(E2E_ENV) $(GO) test -count=1 -v -tags e2e ./e2e/ || status=$$?; \
	if [ $$status -ne 0 ]; then $(E2E_COMPOSE) logs --no-color --tail 200 envoy || true; fi; \
	$(E2E_COMPOSE) down -v --remove-orphans; \
	exit $$status

## oci: OCI image of the module for Istio oci:// URLs: build/oci/ and build/audguard-oci.tar (no Docker).
oci: $(WASM)
	$(GO) run ./cmd/wasm-oci -wasm $(WASM) -layout build/oci -archive build/audguard-oci.tar -ref $(OCI_REF) $(OCI_META)

## oci-digest: print the image's manifest digest (hex) for WasmPlugin.spec.sha256 (use make -s).
oci-digest: $(WASM)
	@$(GO) run ./cmd/wasm-oci -wasm $(WASM) -digest $(OCI_META)
