package main

import (
	"github.com/audguard/audguard/filter/policy"
)

const (
	resOps     = "https://ops.example.com/mcp"
	resStrict  = "https://strict.example.com/mcp"
	metaOps    = `resource_metadata="https://ops.example.com/.well-known/oauth-protected-resource/mcp"`
	metaStrict = `resource_metadata="https://strict.example.com/.well-known/oauth-protected-resource/mcp"`
	dMCP       = "The MCP request headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name) are missing, repeated or malformed."
)

// mcpConfig has two resources with MCP operations (docs/request-flow.md#8-origin, docs/request-flow.md#9-mcp-operation,
// §5.6): "ops" with a scope hierarchy (admin → write → read), three rules
// and legacy requests under require_all; "strict" refusing legacy requests.
func mcpConfig(k *testKeys, mode string) []byte {
	return mustJSON(map[string]any{
		"mode": mode,
		"issuers": []map[string]any{{"name": "corp", "issuer": issCorp,
			"jwks": map[string]any{"keys": []any{k.rs.Public(), k.ec.Public(), k.ed.Public()}}}},
		"resources": []map[string]any{
			{"resource": resOps, "name": "ops", "authorities": []string{"ops.example.com"},
				"required_scopes": []string{"mcp:tools"},
				"scope_implies":   map[string][]string{"mcp:admin": {"mcp:write"}, "mcp:write": {"mcp:read"}},
				"operations": []map[string]any{
					{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}},
					{"method": "tools/call", "scopes": []string{"mcp:write"}},
					{"method": "resources/read", "scopes": []string{"mcp:read"}},
				},
				"allowed_origins": []string{"https://app.example.com", "null"}, "mcp_body": "off"},
			{"resource": resStrict, "name": "strict", "authorities": []string{"strict.example.com"},
				"operations":      []map[string]any{{"method": "tools/call", "scopes": []string{"mcp:write"}}},
				"legacy_protocol": "reject", "allowed_origins": []string{"https://app.example.com"}, "mcp_body": "off"},
		},
	})
}

func mcpCases() []dualCase {
	tok := func(aud, scope string) func(*tctx) string {
		return func(c *tctx) string { return c.rs(aud, map[string]any{"scope": scope}) }
	}
	v := func(method, name string, extra ...[2]string) [][2]string {
		h := [][2]string{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", method}}
		if name != "" {
			h = append(h, [2]string{"mcp-name", name})
		}
		return append(h, extra...)
	}
	scopeChallenge := func(scope string) string {
		return `Bearer error="insufficient_scope", scope="` + scope + `", ` + metaOps + `, error_description="The access token lacks a required scope."`
	}
	const ops, strict = "ops.example.com", "strict.example.com"
	allowed := policy.CounterAllowed
	scope := policy.DeniedCounter(policy.ReasonInsufficientScope)
	bad := policy.DeniedCounter(policy.ReasonInvalidMCPHeaders)
	origin := policy.DeniedCounter(policy.ReasonForbiddenOrigin)
	mcp := func(name, method, mcpMethod, mcpName, scopes string, status uint32, www, counter string, extra ...[2]string) dualCase {
		return dualCase{name: "mcp/" + name, cfg: "mcp", authority: ops, method: method, headers: v(mcpMethod, mcpName, extra...),
			token: tok(resOps, scopes), status: status, www: www, counter: counter}
	}
	return []dualCase{
		// Rule resolution: method+name, else method, else none.
		mcp("no rule: required scopes only", "POST", "tools/list", "", "mcp:tools", 0, "", allowed),
		mcp("method rule needs write", "POST", "tools/call", "get_forecast", "mcp:tools", 403, scopeChallenge("mcp:tools mcp:write"), scope),
		mcp("lower-case post is judged as POST", "post", "tools/call", "get_forecast", "mcp:tools", 403, scopeChallenge("mcp:tools mcp:write"), scope),
		mcp("method rule met", "POST", "tools/call", "get_forecast", "mcp:tools mcp:write", 0, "", allowed),
		mcp("name rule is more specific", "POST", "tools/call", "delete_forecast", "mcp:tools mcp:write", 403, scopeChallenge("mcp:tools mcp:admin"), scope),
		mcp("name rule met", "POST", "tools/call", "delete_forecast", "mcp:tools mcp:admin", 0, "", allowed),
		// Scope hierarchy: admin → write → read (a chain of three).
		mcp("admin implies read", "POST", "resources/read", "file:///forecast", "mcp:tools mcp:admin", 0, "", allowed),
		mcp("write implies read", "POST", "resources/read", "file:///forecast", "mcp:tools mcp:write", 0, "", allowed),
		mcp("read alone is not write", "POST", "tools/call", "get_forecast", "mcp:tools mcp:read", 403, scopeChallenge("mcp:tools mcp:write"), scope),
		mcp("offline_access grants nothing", "POST", "tools/call", "get_forecast", "offline_access mcp:tools", 403, scopeChallenge("mcp:tools mcp:write"), scope),
		// Header encoding (MCP 2026-07-28 "Value Encoding").
		mcp("base64 name decoded", "POST", "tools/call", "=?base64?ZGVsZXRlX2ZvcmVjYXN0?=", "mcp:tools mcp:write", 403, scopeChallenge("mcp:tools mcp:admin"), scope),
		mcp("sentinel look-alike is refused, not guessed", "POST", "tools/call", "=?BASE64?ZGVsZXRlX2ZvcmVjYXN0?=", "mcp:tools mcp:write", 400, "", bad),
		mcp("sentinel prefix without its end is refused", "POST", "tools/call", "=?base64?ZGVsZXRlX2ZvcmVjYXN0", "mcp:tools mcp:write", 400, "", bad),
		mcp("upper-case sentinel prefix without its end is refused", "POST", "tools/call", "=?BASE64?ZGVsZXRlX2ZvcmVjYXN0", "mcp:tools mcp:write", 400, "", bad),
		mcp("Mcp_Name next to Mcp-Name is a duplicate", "POST", "tools/call", "get_forecast", "mcp:tools mcp:write", 400, "", bad, [2]string{"Mcp_Name", "delete_forecast"}),
		mcp("Mcp.Name next to Mcp-Name is a duplicate", "POST", "tools/call", "get_forecast", "mcp:tools mcp:write", 400, "", bad, [2]string{"Mcp.Name", "delete_forecast"}),
		mcp("Mcp.Method next to Mcp-Method is a duplicate", "POST", "tools/list", "", "mcp:tools", 400, "", bad, [2]string{"Mcp.Method", "tools/call"}),
		mcp("bad base64", "POST", "tools/call", "=?base64?!!!?=", "mcp:tools mcp:admin", 400, invalidRequest(dMCP, metaOps), bad),
		mcp("raw non-ASCII name", "POST", "tools/call", "caf\xc3\xa9", "mcp:tools mcp:admin", 400, "", bad),
		mcp("leading space", "POST", "tools/call", " get_forecast", "mcp:tools mcp:admin", 400, "", bad),
		mcp("trailing space", "POST", "tools/call", "get_forecast ", "mcp:tools mcp:admin", 400, "", bad),
		mcp("missing Mcp-Name for tools/call", "POST", "tools/call", "", "mcp:tools mcp:admin", 400, "", bad),
		mcp("missing Mcp-Name for resources/read", "POST", "resources/read", "", "mcp:tools mcp:admin", 400, "", bad),
		mcp("missing Mcp-Name for prompts/get", "POST", "prompts/get", "", "mcp:tools mcp:admin", 400, "", bad),
		mcp("duplicate Mcp-Method", "POST", "tools/list", "", "mcp:tools", 400, "", bad, [2]string{"Mcp-Method", "tools/list"}),
		mcp("duplicate Mcp-Name", "POST", "tools/call", "a", "mcp:tools mcp:admin", 400, "", bad, [2]string{"MCP-NAME", "b"}),
		// Legacy requests.
		{name: "mcp/no version: every rule's scopes (require_all)", cfg: "mcp", authority: ops, method: "POST",
			token: tok(resOps, "mcp:tools mcp:write"), status: 403, www: scopeChallenge("mcp:tools mcp:admin mcp:write mcp:read"), counter: scope},
		{name: "mcp/no version: admin covers all", cfg: "mcp", authority: ops, method: "POST",
			token: tok(resOps, "mcp:tools mcp:admin"), counter: allowed},
		{name: "mcp/older version under require_all", cfg: "mcp", authority: ops, method: "POST",
			headers: [][2]string{{"mcp-protocol-version", "2025-06-18"}, {"mcp-method", "tools/list"}},
			token:   tok(resOps, "mcp:tools mcp:write"), status: 403, counter: scope},
		{name: "mcp/no version refused under reject", cfg: "mcp", authority: strict, method: "POST",
			token: tok(resStrict, "mcp:write"), status: 400, www: invalidRequest(dMCP, metaStrict), counter: bad},
		{name: "mcp/current version under reject", cfg: "mcp", authority: strict, method: "POST", headers: v("tools/call", "x"),
			token: tok(resStrict, "mcp:write"), counter: allowed},
		// GET (the SSE stream) and DELETE (end of session) carry no operation.
		{name: "mcp/GET untouched", cfg: "mcp", authority: ops, method: "GET", token: tok(resOps, "mcp:tools"), counter: allowed},
		{name: "mcp/DELETE untouched", cfg: "mcp", authority: ops, method: "DELETE", token: tok(resOps, "mcp:tools"), counter: allowed},
		// The 401 without a token names everything the operation needs.
		{name: "mcp/401 names the operation's scopes", cfg: "mcp", authority: ops, method: "POST", headers: v("tools/call", "delete_forecast"),
			status: 401, www: `Bearer ` + metaOps + `, scope="mcp:tools mcp:admin"`, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "mcp/metadata publishes every rule's scopes", cfg: "mcp", authority: ops, path: "/.well-known/oauth-protected-resource/mcp",
			status: 200, body: `{"resource":"https://ops.example.com/mcp","authorization_servers":["https://auth.example.com"],"scopes_supported":["mcp:tools","mcp:admin","mcp:write","mcp:read"],"bearer_methods_supported":["header"]}`,
			counter: policy.CounterMetadata},
		// Origin (docs/request-flow.md#8-origin).
		mcp("origin listed", "POST", "tools/list", "", "mcp:tools", 0, "", allowed, [2]string{"origin", "https://app.example.com"}),
		mcp("origin upper-case host", "POST", "tools/list", "", "mcp:tools", 0, "", allowed, [2]string{"origin", "https://APP.Example.com"}),
		mcp("origin default port", "POST", "tools/list", "", "mcp:tools", 0, "", allowed, [2]string{"origin", "https://app.example.com:443"}),
		mcp("origin null listed", "POST", "tools/list", "", "mcp:tools", 0, "", allowed, [2]string{"origin", "null"}),
		{name: "mcp/origin unlisted", cfg: "mcp", authority: ops, method: "POST", headers: v("tools/list", "", [2]string{"origin", "https://evil.example"}),
			token: tok(resOps, "mcp:tools"), status: 403, www: "", body: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"The request Origin is not allowed for this resource."}}`,
			reply: map[string]string{"access-control-allow-origin": "*", "access-control-expose-headers": "www-authenticate"}, counter: origin},
		{name: "mcp/origin other port", cfg: "mcp", authority: ops, method: "POST", headers: v("tools/list", "", [2]string{"origin", "https://app.example.com:8443"}),
			token: tok(resOps, "mcp:tools"), status: 403, counter: origin},
		{name: "mcp/origin null not listed", cfg: "mcp", authority: strict, method: "POST", headers: v("tools/call", "x", [2]string{"origin", "null"}),
			token: tok(resStrict, "mcp:write"), status: 403, counter: origin},
		{name: "mcp/origin duplicated", cfg: "mcp", authority: ops, method: "POST",
			headers: v("tools/list", "", [2]string{"origin", "https://app.example.com"}, [2]string{"Origin", "https://app.example.com"}),
			token:   tok(resOps, "mcp:tools"), status: 400, body: body("invalid_request", "The request must carry at most one Origin header."),
			www:     invalidRequest("The request must carry at most one Origin header.", metaOps),
			counter: policy.DeniedCounter(policy.ReasonInvalidRequest)},
		// Report mode counts, never answers.
		{name: "mcp/report counts a would-deny for scope", cfg: "mcpreport", authority: ops, method: "POST", headers: v("tools/call", "delete_forecast"),
			token: tok(resOps, "mcp:tools"), up: map[string]string{"authorization": "*"}, counter: policy.WouldDenyCounter(policy.ReasonInsufficientScope),
			logHas: "would deny reason=insufficient_scope resource=ops mcp_method=tools/call mcp_name=delete_forecast"},
		{name: "mcp/report counts bad headers", cfg: "mcpreport", authority: ops, method: "POST", headers: v("tools/call", ""),
			token: tok(resOps, "mcp:tools mcp:admin"), counter: policy.WouldDenyCounter(policy.ReasonInvalidMCPHeaders)},
	}
}
