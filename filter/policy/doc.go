// Package policy is audguard's request decision logic (docs/request-flow.md#6-resource, docs/request-flow.md, docs/responses.md, docs/metrics.md):
// metadata (RFC 9728), CORS preflight, resource resolution, public paths,
// bearer-token extraction (RFC 6750 §2.1), verification (RFC 7515, RFC 7519,
// RFC 9068) through package jwtlite, audience binding (RFC 8707) through
// package canonical, scopes, and the headers sent upstream.
//
// It imports no proxy-wasm SDK: the plugin glue in filter/ feeds it a Request
// and applies the Decision, and the CLI and benchmarks run the very same code
// natively. An Engine is not safe for concurrent use; a proxy-wasm VM is
// single-threaded, and other callers use one Engine per goroutine.
package policy
