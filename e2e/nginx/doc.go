// Package nginx is audguard's end-to-end suite on a real proxy-wasm host:
// nginx 1.27.4 with Kong's ngx_wasm_module (3bed278) on wasmtime, built from
// the sources in host/ by host/build.sh. The suite starts that nginx on
// loopback in front of real upstreams it runs itself (a header echo, an MCP
// Go SDK server, a JWK Set server that rotates and fails, an authorization
// server) and talks to it over HTTP/1.1, HTTP/2 and TLS. It also measures
// worker CPU per request and the module's compile time per worker.
//
// The tests carry the build tag e2enginx and run with `make e2e-nginx`,
// which builds the host once into build/realhost (3-5 minutes on 2 cores)
// and the module, then runs `go test -tags e2enginx ./e2e/nginx/`.
//
// Environment (set by make e2e-nginx):
//
//	AUDGUARD_NGINX        the patched host's nginx (poll_oneoff implemented)
//	AUDGUARD_NGINX_STOCK  the stock host's nginx
//	AUDGUARD_WASM         the module under test (default build/audguard.wasm)
//	AUDGUARD_E2E_REPORT   where the performance report is written (optional)
package nginx
