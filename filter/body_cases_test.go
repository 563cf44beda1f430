package main

import (
	"strings"

	"github.com/audguard/audguard/filter/policy"
)

// The JSON-RPC body (docs/request-flow.md#9-mcp-operation): a POST to the MCP
// endpoint of a resource with operations is held until its body is whole and
// judged by the operation the body names, whatever the client's protocol
// revision; the headers, when present, are held to the body.

// bodyConfig: ops.example.com with operations (mcp_body verify by default),
// max_body_bytes 8192.
func bodyConfig(k *testKeys, mode string) []byte {
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
					{"method": "prompts/get", "name": "secret", "scopes": []string{"mcp:admin"}},
				},
				"max_body_bytes": 8192},
		},
	})
}

func call(id, method, params string) string {
	b := `{"jsonrpc":"2.0",`
	if id != "" {
		b += `"id":` + id + `,`
	}
	b += `"method":"` + method + `"`
	if params != "" {
		b += `,"params":` + params
	}
	return b + "}"
}

func tool(name string) string { return `{"name":"` + name + `","arguments":{"city":"Oslo"}}` }

func bodyCases() []dualCase {
	tok := func(scope string) func(*tctx) string {
		return func(c *tctx) string { return c.rs(resOps, map[string]any{"scope": scope}) }
	}
	scopeChallenge := func(scope string) string {
		return `Bearer error="insufficient_scope", scope="` + scope + `", ` + metaOps + `, error_description="The access token lacks a required scope."`
	}
	mismatch := func(id string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"error":{"code":-32020,"message":"The Mcp-Method or Mcp-Name header is missing or does not match the JSON-RPC body."}}`
	}
	const invalid = `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"The request body is not one well-formed JSON-RPC message or batch."}}`
	cur := func(method, name string) [][2]string {
		h := [][2]string{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", method}}
		if name != "" {
			h = append(h, [2]string{"mcp-name", name})
		}
		return h
	}
	allowed := policy.CounterAllowed
	scope := policy.DeniedCounter(policy.ReasonInsufficientScope)
	bad := policy.DeniedCounter(policy.ReasonInvalidMCPBody)
	mis := policy.DeniedCounter(policy.ReasonHeaderMismatch)
	big := policy.DeniedCounter(policy.ReasonBodyTooLarge)
	b := func(name, rpc, scopes string, status uint32, counter string) dualCase {
		return dualCase{name: "body/" + name, cfg: "body", authority: "ops.example.com", method: "POST", rpc: rpc,
			token: tok(scopes), status: status, counter: counter}
	}
	with := func(c dualCase, f func(*dualCase)) dualCase { f(&c); return c }
	get := call("1", "tools/call", tool("get_forecast"))
	del := call("7", "tools/call", tool("delete_forecast"))
	batch := func(n int, msg string) string { return "[" + strings.TrimSuffix(strings.Repeat(msg+",", n), ",") + "]" }
	return []dualCase{
		// Legacy clients (no MCP-Protocol-Version) get per-tool scopes from the body.
		b("legacy: safe tool with write", get, "mcp:tools mcp:write", 0, allowed),
		with(b("legacy: dangerous tool names its scope", del, "mcp:tools mcp:write", 403, scope), func(c *dualCase) {
			c.www = scopeChallenge("mcp:tools mcp:admin")
		}),
		b("legacy: dangerous tool with admin", del, "mcp:tools mcp:admin", 0, allowed),
		b("legacy: tools/list needs the base scopes only", call("2", "tools/list", ""), "mcp:tools", 0, allowed),
		b("legacy: resources/read by uri", call("3", "resources/read", `{"uri":"file:///forecast"}`), "mcp:tools mcp:read", 0, allowed),
		b("legacy: resources/read needs read", call("3", "resources/read", `{"uri":"file:///forecast"}`), "mcp:tools", 403, scope),
		b("prompts/get by name", call("4", "prompts/get", `{"name":"secret"}`), "mcp:tools mcp:write", 403, scope),
		b("notification: base scopes", call("", "notifications/initialized", ""), "mcp:tools", 0, allowed),
		b("a client's response: base scopes", `{"jsonrpc":"2.0","id":9,"result":{}}`, "mcp:tools", 0, allowed),
		b("base scopes still checked first", get, "mcp:write", 403, scope),
		// 2026-07-28: headers present and equal to the body.
		with(b("current: headers agree", get, "mcp:tools mcp:write", 0, allowed), func(c *dualCase) { c.headers = cur("tools/call", "get_forecast") }),
		with(b("current: sentinel name agrees", del, "mcp:tools mcp:admin", 0, allowed), func(c *dualCase) {
			c.headers = cur("tools/call", "=?base64?ZGVsZXRlX2ZvcmVjYXN0?=")
		}),
		with(b("current: the header's smaller tool is a lie", del, "mcp:tools mcp:write", 400, mis), func(c *dualCase) {
			c.headers, c.body = cur("tools/call", "get_forecast"), mismatch("7")
		}),
		with(b("current: method lie", del, "mcp:tools mcp:admin", 400, mis), func(c *dualCase) { c.headers = cur("tools/list", "") }),
		with(b("current: name differs in case", del, "mcp:tools mcp:admin", 400, mis), func(c *dualCase) { c.headers = cur("tools/call", "Delete_forecast") }),
		with(b("current: Mcp-Name missing", del, "mcp:tools mcp:admin", 400, mis), func(c *dualCase) { c.headers = cur("tools/call", "") }),
		with(b("current: Mcp-Method missing", del, "mcp:tools mcp:admin", 400, mis), func(c *dualCase) {
			c.headers = [][2]string{{"mcp-protocol-version", "2026-07-28"}, {"mcp-name", "delete_forecast"}}
		}),
		with(b("current: Mcp-Name on a method without a target", call("2", "tools/list", ""), "mcp:tools", 400, mis), func(c *dualCase) {
			c.headers = cur("tools/list", "x")
		}),
		with(b("legacy client's lie in headers is held to the body", del, "mcp:tools mcp:admin", 400, mis), func(c *dualCase) {
			c.headers, c.body = [][2]string{{"mcp-method", "tools/call"}, {"mcp-name", "get_forecast"}}, mismatch("7")
		}),
		with(b("malformed header still 400 at the headers", del, "mcp:tools mcp:admin", 400, policy.DeniedCounter(policy.ReasonInvalidMCPHeaders)), func(c *dualCase) {
			c.headers = cur("tools/call", " delete_forecast")
		}),
		// Strict JSON: what another decoder could read differently is refused.
		with(b("case variant member", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_forecast","Name":"delete_forecast"}}`, "mcp:tools mcp:admin", 400, bad),
			func(c *dualCase) { c.body = invalid }),
		b("METHOD next to method", `{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call"}`, "mcp:tools mcp:admin", 400, bad),
		b("duplicate name", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_forecast","name":"delete_forecast"}}`, "mcp:tools mcp:admin", 400, bad),
		b("escaped duplicate", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_forecast","n\u0061me":"delete_forecast"}}`, "mcp:tools mcp:admin", 400, bad),
		b("a name inside arguments is not the tool", call("1", "tools/call", `{"arguments":{"name":"delete_forecast"},"name":"get_forecast"}`), "mcp:tools mcp:write", 0, allowed),
		b("escaped tool name is unescaped", call("1", "tools/call", `{"name":"delete\u005fforecast"}`), "mcp:tools mcp:write", 403, scope),
		b("invalid JSON", `{"jsonrpc":"2.0",`, "mcp:tools mcp:admin", 400, bad),
		b("not JSON-RPC", `{"hello":"world"}`, "mcp:tools mcp:admin", 400, bad),
		b("tools/call without a name", call("1", "tools/call", `{}`), "mcp:tools mcp:admin", 400, bad),
		// Batches (2025-03-26): every message judged, the union needed.
		with(b("batch: the union of scopes", "["+get+","+del+"]", "mcp:tools mcp:write", 403, scope), func(c *dualCase) {
			c.www = scopeChallenge("mcp:tools mcp:write mcp:admin")
		}),
		b("batch: admin covers it", "["+get+","+del+"]", "mcp:tools mcp:admin", 0, allowed),
		b("batch: empty", "[]", "mcp:tools mcp:admin", 400, bad),
		b("batch: 100 messages", batch(100, `{"jsonrpc":"2.0","method":"a"}`), "mcp:tools", 0, allowed),
		b("batch: 101 messages", batch(101, `{"jsonrpc":"2.0","method":"a"}`), "mcp:tools mcp:admin", 400, bad),
		b("batch: nested array", "[["+get+"]]", "mcp:tools mcp:admin", 400, bad),
		with(b("batch under 2026-07-28", "["+get+"]", "mcp:tools mcp:admin", 400, mis), func(c *dualCase) {
			c.headers = [][2]string{{"mcp-protocol-version", "2026-07-28"}}
		}),
		// Size and delivery.
		b("body over max_body_bytes", call("1", "tools/call", `{"name":"get_forecast","arguments":{"pad":"`+strings.Repeat("x", 8200)+`"}}`), "mcp:tools mcp:write", 413, big),
		with(b("content-length over max_body_bytes: refused at the headers", get, "mcp:tools mcp:write", 413, big), func(c *dualCase) {
			c.headers = [][2]string{{"content-length", "8193"}}
		}),
		with(b("no token: 401 before any body", del, "", 401, policy.DeniedCounter(policy.ReasonMissingToken)), func(c *dualCase) { c.token = nil }),
		with(b("body in many chunks", del, "mcp:tools mcp:admin", 0, allowed), func(c *dualCase) { c.chunks = 5 }),
		with(b("dangerous tool in many chunks", del, "mcp:tools mcp:write", 403, scope), func(c *dualCase) { c.chunks = 7 }),
		with(b("trailers end the stream", del, "mcp:tools mcp:admin", 0, allowed), func(c *dualCase) { c.trailers = true; c.chunks = 2 }),
		with(b("a held stream that ends is forgotten", del, "mcp:tools mcp:admin", 0, ""), func(c *dualCase) { c.chunks = 3; c.cutBody = 1 }),
		with(b("Envoy, no content-length: the body callbacks decide", del, "mcp:tools mcp:write", 403, scope), func(c *dualCase) {
			c.noLength, c.chunks, c.props = true, 2, map[string]string{"vhost": "vh_ops"}
		}),
		with(b("chunked: held for the body", del, "mcp:tools mcp:admin", 0, allowed), func(c *dualCase) {
			c.noLength, c.headers = true, [][2]string{{"transfer-encoding", "chunked"}}
		}),
		with(b("ngx_wasm_module, no length and no chunks: no body, judged empty", del, "mcp:tools mcp:admin", 400, bad), func(c *dualCase) {
			c.noLength = true
		}),
		with(b("ngx_wasm_module: headers continue, the one body call decides", del, "mcp:tools mcp:write", 403, scope), func(c *dualCase) {
			c.props = map[string]string{"ngxhost": "ops.example.com"}
		}),
		with(b("ngx_wasm_module: allowed after the body", get, "mcp:tools mcp:write", 0, allowed), func(c *dualCase) {
			c.props, c.headers = map[string]string{"ngxhost": "ops.example.com"}, [][2]string{{"x-mcp-subject", "spoof"}}
			c.gone = []string{"authorization"}
		}),
		// The body is judged whatever its content-type says: a server may parse it all the same.
		with(b("no content-type: judged all the same", del, "mcp:tools mcp:write", 403, scope), func(c *dualCase) { c.contentType = "-" }),
		with(b("text/plain: judged all the same", del, "mcp:tools mcp:write", 403, scope), func(c *dualCase) { c.contentType = "text/plain" }),
		with(b("text/plain, allowed", get, "mcp:tools mcp:write", 0, allowed), func(c *dualCase) { c.contentType = "text/plain" }),
		// Other requests keep the header rules.
		with(b("GET on the endpoint: no body judged", "", "mcp:tools", 0, allowed), func(c *dualCase) { c.method = "GET" }),
		with(b("POST elsewhere: header rules (require_all)", del, "mcp:tools mcp:write", 403, scope), func(c *dualCase) {
			c.path, c.www = "/other", scopeChallenge("mcp:tools mcp:admin mcp:write mcp:read")
		}),
		// Report mode judges the body, counts, and lets it through.
		with(b("report: would deny the dangerous tool", del, "mcp:tools mcp:write", 0, policy.WouldDenyCounter(policy.ReasonInsufficientScope)), func(c *dualCase) {
			c.cfg, c.logHas = "bodyreport", "would deny reason=insufficient_scope resource=ops"
		}),
		with(b("report: a lie is a would-deny", del, "mcp:tools mcp:admin", 0, policy.WouldDenyCounter(policy.ReasonHeaderMismatch)), func(c *dualCase) {
			c.cfg, c.headers = "bodyreport", cur("tools/call", "get_forecast")
		}),
	}
}
