package main

import "github.com/audguard/audguard/filter/policy"

// routingCases are the requests of the routing review: the filter must judge
// the request by the authority the proxy routed on (docs/request-flow.md#6-resource,
// authority_from), and the hardening of §5.2–§5.4 and §5.7. They run in
// TestDual, natively and in the compiled module.
//
// Envoy-shaped requests carry xds.virtual_host_name (here "catch_all": a
// `domains: ["*"]` virtual host that no resource names, routing to another
// protected server) and no Host header; nginx/Kong-shaped requests carry no
// xds.* property, an :authority built from the server_name and port, and the
// client's Host header.
func routingCases() []dualCase {
	a := func(c *tctx) string { return c.rs(resA, nil) }
	envoy := map[string]string{"vhost": "catch_all"}
	unmatched := policy.DeniedCounter(policy.ReasonUnmatchedResource)
	wrongAud := policy.DeniedCounter(policy.ReasonWrongAudience)
	missing := policy.DeniedCounter(policy.ReasonMissingToken)
	invalid := policy.DeniedCounter(policy.ReasonInvalidRequest)
	inQuery := policy.DeniedCounter(policy.ReasonTokenInQuery)

	cases := []dualCase{
		// Envoy: what the router did not match as A is never judged as A.
		{name: "envoy/exact authority still maps to A", props: envoy, noHost: true, token: a, counter: policy.CounterAllowed},
		{name: "envoy/upper case is lower-cased only", props: envoy, noHost: true, authority: "MCP-A.Example.COM", token: a, counter: policy.CounterAllowed},
		{name: "envoy/metadata on the exact authority", props: envoy, noHost: true,
			path: "/.well-known/oauth-protected-resource/mcp", status: 200, counter: policy.CounterMetadata},
		{name: "envoy/metadata not on :443", cfg: "nodefault", props: envoy, noHost: true, authority: "mcp-a.example.com:443",
			path: "/.well-known/oauth-protected-resource/mcp", status: 403, counter: unmatched},
		{name: "envoy/A token with :443 at the default resource", props: envoy, noHost: true, authority: "mcp-a.example.com:443",
			token: a, status: 401, www: invalidToken(dAud, metaDef), counter: wrongAud},
		{name: "envoy/all-authority request with a Host header too", cfg: "nodefault", props: envoy,
			authority: "mcp-a.example.com:443", hosts: []string{"mcp-a.example.com"}, token: a, status: 403, counter: unmatched},
	}
	for _, auth := range []string{"mcp-a.example.com:443", "mcp-a.example.com.", "mcp-a.example.com:80",
		"mcp-a.example.com:0443", "mcp-a.example.com..", "mcp-a.example.com.:443"} {
		cases = append(cases, dualCase{name: "envoy/unmatched " + auth, cfg: "nodefault", props: envoy, noHost: true,
			authority: auth, token: a, status: 403, www: "", counter: unmatched})
	}

	cases = append(cases, []dualCase{
		// nginx / Kong: :authority is the matched server_name and port; the
		// Host header (as nginx's $host) says which server was meant.
		{name: "kong/Host names A", authority: "kong:8000", hosts: []string{"mcp-a.example.com"}, token: a, counter: policy.CounterAllowed},
		{name: "kong/Host with port and dot names A", authority: "kong:8443", hosts: []string{"MCP-A.example.com.:8443"}, token: a, counter: policy.CounterAllowed},
		{name: "kong/A token refused at Host nonex", authority: "kong:8000", hosts: []string{"nonex.example.com"}, token: a,
			status: 401, counter: wrongAud},
		{name: "kong/A token refused at an unknown Host (default resource)", authority: "kong:8000", hosts: []string{"elsewhere.example.net"}, token: a,
			status: 401, www: invalidToken(dAud, metaDef), counter: wrongAud},
		{name: "kong/unknown Host unmatched", cfg: "nodefault", authority: "kong:8000", hosts: []string{"kong"}, token: a,
			status: 403, counter: unmatched},
		{name: "kong/two dots never A", cfg: "nodefault", authority: "kong:8000", hosts: []string{"mcp-a.example.com.."}, token: a,
			status: 403, counter: unmatched},
		{name: "kong/several Host headers", authority: "kong:8000", hosts: []string{"mcp-a.example.com", "nonex.example.com"}, token: a,
			status: 400, body: body("invalid_request", "The request must carry exactly one Host header."), counter: invalid},
		{name: "kong/several equal Host headers", authority: "kong:8000", hosts: []string{"mcp-a.example.com", "mcp-a.example.com"}, token: a,
			status: 400, counter: invalid},
		{name: "kong/metadata by Host", authority: "kong:8000", hosts: []string{"mcp-a.example.com"},
			path: "/.well-known/oauth-protected-resource/mcp", status: 200, counter: policy.CounterMetadata},
		{name: "kong/no Host header: the server name (HTTP/1.0)", authority: "mcp-a.example.com:8000", noHost: true, token: a,
			counter: policy.CounterAllowed},
		// nginx's $host wins over the Host header: an absolute-form request
		// line ("GET https://nonex.example.com/mcp") routes by its own host.
		{name: "nginx/$host beats the Host header", authority: "kong:8000", hosts: []string{"mcp-a.example.com"},
			props: map[string]string{"ngxhost": "nonex.example.com"}, token: a, status: 401, counter: wrongAud},
		{name: "nginx/$host names A", authority: "kong:8000", hosts: []string{"nonex.example.com"},
			props: map[string]string{"ngxhost": "mcp-a.example.com"}, token: a, counter: policy.CounterAllowed},

		// §5.2: ngx_wasm_module never sets end of stream on the headers.
		{name: "preflight/no end of stream, no body announced (ngx)", method: "OPTIONS", noEOS: true,
			headers: [][2]string{{"origin", "https://mcp-a.example.com"}, {"access-control-request-method", "POST"}}, counter: policy.CounterPreflight},
		{name: "preflight/no end of stream, content-length 0 (ngx)", method: "OPTIONS", noEOS: true,
			headers: [][2]string{{"origin", "https://mcp-a.example.com"}, {"access-control-request-method", "POST"}, {"content-length", "0"}}, counter: policy.CounterPreflight},
		{name: "preflight/transfer-encoding is a body (ngx)", method: "OPTIONS", noEOS: true,
			headers: [][2]string{{"origin", "https://mcp-a.example.com"}, {"access-control-request-method", "POST"}, {"transfer-encoding", "chunked"}},
			status:  401, counter: missing},
		{name: "preflight/Envoy without end of stream has a body", method: "OPTIONS", noEOS: true, props: map[string]string{"vhost": "vh_a"}, noHost: true,
			headers: [][2]string{{"origin", "https://mcp-a.example.com"}, {"access-control-request-method", "POST"}}, status: 401, counter: missing},

		// §5.3: any "%" makes a path non-public.
		{name: "public/double-encoded dots", path: "/public/%252e%252e/mcp", status: 401, counter: missing},
		{name: "public/any percent", path: "/public/%41", status: 401, counter: missing},

		// §5.4: every query spelling of access_token.
		{name: "query/semicolon separator", path: "/mcp?x=1;access_token=t", token: a, status: 400, counter: inQuery},
		{name: "query/brackets", path: "/mcp?access_token[]=t", token: a, status: 400, counter: inQuery},
		{name: "query/plus", path: "/mcp?access_token+=t", token: a, status: 400, counter: inQuery},
		// PHP reads ".", a space and an unclosed "[" in a name as "_", and ends
		// a name at a NUL byte.
		{name: "query/dot for underscore", path: "/mcp?access.token=t", token: a, status: 400, counter: inQuery},
		{name: "query/plus for underscore", path: "/mcp?access+token=t", token: a, status: 400, counter: inQuery},
		{name: "query/%20 for underscore", path: "/mcp?access%20token=t", token: a, status: 400, counter: inQuery},
		{name: "query/open bracket for underscore", path: "/mcp?access[token=t", token: a, status: 400, counter: inQuery},
		{name: "query/NUL ends the name", path: "/mcp?access_token%00x=t", token: a, status: 400, counter: inQuery},

		// §5.7: every byte other than a-z0-9 reads as "-".
		{name: "spoof/dots and mixed separators", token: a,
			headers: [][2]string{{"x-mcp.subject", "admin"}, {"X.MCP_SCOPE", "all"}, {"x~mcp~client~id", "evil"}},
			up:      map[string]string{"x-mcp-subject": "user-1", "x-mcp-scope": "mcp:tools"},
			gone:    []string{"x-mcp.subject", "X.MCP_SCOPE", "x~mcp~client~id"}, counter: policy.CounterAllowed},
	}...)
	return cases
}
