// Package e2e is the end-to-end test of audguard: a real Envoy running
// build/audguard.wasm with envoy/envoy.yaml in front of two MCP servers
// (docker-compose.yaml, mcpserver/), driven by the official MCP Go SDK
// client with tokens signed by the test-only keys in keys/. The filter fetches
// those keys over TLS from a small JWK Set server standing in for the
// authorization server (jwksserver/), which the tests rotate, break and stop.
// The tests carry the build tag `e2e`; run them with `make e2e`.
package e2e
