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

# The real proxy-wasm host of the test suite: nginx 1.27.4 + Kong's ngx_wasm_module 3bed278 on
# wasmtime, built from the sources in e2e/nginx/host/ (checked against SHA256SUMS) into
# build/realhost: stock (nginx/) and with WASI poll_oneoff implemented (nginx-pollfix/).
REALHOST       := build/realhost
NGINX_PATCHED  := $(REALHOST)/nginx-pollfix/sbin/nginx
NGINX_STOCK    := $(REALHOST)/nginx/sbin/nginx
E2E_NGINX_ARGS ?=

.PHONY: e2e-nginx realhost profile-nginx

## realhost: build the real proxy-wasm host (nginx + ngx_wasm_module, stock and patched) into
## build/realhost once (3-5 minutes on 2 cores; needs gcc, make, patch, libpcre2-dev, libssl-dev,
## zlib1g-dev and Go).
realhost: $(NGINX_PATCHED)

$(NGINX_PATCHED): e2e/nginx/host/build.sh e2e/nginx/host/SHA256SUMS
	cd e2e/nginx/host && sha256sum -c --quiet SHA256SUMS
	bash e2e/nginx/host/build.sh $(REALHOST)
	@touch $@

# The module as it was before the body, list and DPoP work (commit BASELINE_REV), built from git
# history so the report can put its cache hit next to this build's. A clone without that commit
# (a shallow one) leaves the comparison out and says so.
BASELINE_REV  := 73b4dd9
BASELINE_WASM := build/_baseline/audguard-$(BASELINE_REV).wasm

$(BASELINE_WASM):
	@if git cat-file -e '$(BASELINE_REV)^{commit}' 2>/dev/null; then \
		rm -rf build/_baseline/src && mkdir -p build/_baseline/src && \
		git archive $(BASELINE_REV) | tar -x -C build/_baseline/src && \
		echo "e2e-nginx: building the module at $(BASELINE_REV) (before the body, list and DPoP work) for the report" && \
		cd build/_baseline/src && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $(CURDIR)/$@ ./filter; \
	else echo "e2e-nginx: commit $(BASELINE_REV) is not in this clone (shallow?): the report leaves out the module before the body, list and DPoP work"; fi

## e2e-nginx: the end-to-end suite on the real host: starts nginx on loopback in front of real
## upstreams and runs go test -tags e2enginx ./e2e/nginx/ (HTTP/1.1, HTTP/2, TLS, remote keys, MCP
## SDK client and server); writes worker CPU per request (also against the module before the body,
## list and DPoP work) and compile time to build/e2e-nginx/report.md.
e2e-nginx: $(WASM) $(NGINX_PATCHED) $(BASELINE_WASM)
	AUDGUARD_NGINX=$(CURDIR)/$(NGINX_PATCHED) AUDGUARD_NGINX_STOCK=$(CURDIR)/$(NGINX_STOCK) \
		AUDGUARD_WASM=$(CURDIR)/$(WASM) \
		AUDGUARD_E2E_PERF_MODULES="$$([ -f $(BASELINE_WASM) ] && echo '$(BASELINE_REV), before the body, list and DPoP work=$(CURDIR)/$(BASELINE_WASM)')" \
		$(GO) test -count=1 -timeout 20m -tags e2enginx $(E2E_NGINX_ARGS) ./e2e/nginx/
	@echo "e2e-nginx: performance report in build/e2e-nginx/report.md:"; cat build/e2e-nginx/report.md

## profile-nginx: sample one nginx worker with perf (Debian: linux-perf) while it serves audguard cache
## hits, and the header-reading plugin the same way; writes build/e2e-nginx/profile-*.txt (where a
## request's CPU goes: the module's functions, nginx and wasmtime, the kernel). Not part of CI.
profile-nginx: $(WASM) $(NGINX_PATCHED)
	AUDGUARD_NGINX=$(CURDIR)/$(NGINX_PATCHED) AUDGUARD_NGINX_STOCK=$(CURDIR)/$(NGINX_STOCK) \
		AUDGUARD_WASM=$(CURDIR)/$(WASM) $(GO) test -count=1 -timeout 10m -tags e2enginx,profile -run '^TestProfile$$' -v ./e2e/nginx/
