// Package bench holds the audguard benchmarks: jwtlite verification next to
// the bare standard-library signature check and golang-jwt/jwt v5, the whole
// filter per request in the compiled Wasm module (wazero, via proxytest)
// next to reference plugins, DPoP requests on a cache hit next to the Bearer
// hit and the bare check of the proof's signature, scale with resources and
// keys, forged tokens of max_token_bytes shaped to make the checks before
// the signature expensive, linear memory after a long run, and module size.
// Everything lives in _test.go files; `make bench` prints the table written
// to BENCHMARKS.md.
package bench
