// Package oldsdk holds two small programs built on the official MCP Go SDK at
// v1.1.0, the last release whose latest protocol revision is 2025-06-18: its
// client sends MCP-Protocol-Version 2025-06-18 at most and never Mcp-Method or
// Mcp-Name, and its server knows nothing of those two headers. The root module
// requires the SDK at v1.8.0 and one build cannot hold two versions of a
// module, so these live in a module of their own, which ./... of the root
// module does not include.
//
//   - oldclient connects to an MCP endpoint with a bearer token, lists the
//     tools, calls one, and prints one JSON line per step.
//   - oldserver serves get_forecast (safe) and delete_forecast (dangerous),
//     counts their runs, and validates none of the MCP request headers.
//
// The filter's tests (filter/oldsdk_test.go) and the real-host suite
// (e2e/nginx/oldsdk_test.go) build them with `go build` here (GOWORK=off), which
// downloads the SDK through the Go module proxy.
package oldsdk
