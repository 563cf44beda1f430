// Package mcp holds the pure building blocks of MCP-aware authorization for
// the Model Context Protocol, revision 2026-07-28: reading the request
// metadata headers, resolving per-operation scope rules, scope hierarchies,
// and Origin checks. Like package policy it imports no proxy-wasm SDK and
// never reads a request body.
//
// # The API
//
// At configuration load, per resource:
//
//	im, err := mcp.CompileImplications(scopeImplies)         // scope_implies
//	rules, err := mcp.Compile(required, ops, mode, im)        // operations, legacy mode
//	origins, err := mcp.CompileOrigins(allowedOrigins)        // allowed_origins
//
// Every refusal is a *ConfigError that names the offending element
// (ConfigError.Path), so the loader can prefix it with the resource's JSON
// path.
//
// Per request (a POST to a resource that has operations), with one Parser
// and one Checker per VM:
//
//	h, err := parser.Parse(headers)           // err: 400 invalid_mcp_headers
//	need, ok := rules.Select(&h)              // !ok: legacy request under "reject"
//	missing, ok := checker.Check(need, claims.EachScope, buf[:0])
//	// !ok: 403 insufficient_scope, challenge scope = need.Scopes() or missing
//	origins.Allowed(origin)                   // one Origin header present; false: 403
//
// After warm-up none of these allocates.
//
// # Why the headers can be trusted
//
// The Streamable HTTP transport (MCP 2026-07-28, basic/transports/
// streamable-http, "Request Metadata") mirrors the JSON-RPC method into
// Mcp-Method and params.name or params.uri into Mcp-Name, so that
// intermediaries can route and authorize without parsing the body. Its
// "Server Validation" section requires every server that processes the body
// to reject, with 400 and HeaderMismatch (-32020), a request whose headers
// are missing, malformed, or disagree with the body, after decoding the
// =?base64?…?= form. A request that this package judges by its headers
// therefore either carries those very values in its body or is refused by
// the MCP server: a client cannot be authorized for one tool and call
// another.
//
// That promise only holds for clients and servers that speak 2026-07-28 or
// later. The note for intermediaries in the same section says that an
// intermediary enforcing policy on mirrored headers SHOULD check that
// MCP-Protocol-Version names a version that requires header–body validation,
// and SHOULD reject the request otherwise rather than trust unvalidated
// values. Parse reports such requests as EraLegacy and exposes none of
// their values; the configuration then either rejects them (LegacyReject,
// what the note recommends) or treats them as needing every scope any rule
// names (LegacyRequireAll), which trusts nothing the client said.
//
// Intermediaries are also told (same section) that they MUST answer a
// validation failure with an HTTP error such as 400, but need not send a
// JSON-RPC error body.
package mcp
