//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// listTools connects an MCP SDK client with token to endpoint and lists tools.
func listTools(t *testing.T, endpoint, token string) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "audguard-e2e", Version: "0"}, nil)
	session, err := c.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:             endpoint,
		HTTPClient:           client(token),
		MaxRetries:           -1,
		DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		return nil, err
	}
	defer session.Close()
	res, err := session.ListTools(ctx, nil)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names, nil
}

// connect opens an MCP SDK client session to endpoint with a fixed token,
// every exchange recorded.
func connect(t *testing.T, ctx context.Context, endpoint, token string) (*mcp.ClientSession, *recorder) {
	t.Helper()
	rec := &recorder{next: envoyTransport{token: token}}
	c := mcp.NewClient(&mcp.Implementation{Name: "audguard-e2e", Version: "0"}, nil)
	session, err := c.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:             endpoint,
		HTTPClient:           &http.Client{Transport: rec, Timeout: 20 * time.Second},
		MaxRetries:           -1,
		DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		t.Fatalf("connect to %s: %v", endpoint, err)
	}
	return session, rec
}

// TestTokenForAListsToolsOnA: a token minted for server A (RFC 8707 audience
// = A's canonical URI) works on A with either key type, and lists only the
// tool it may call.
func TestTokenForAListsToolsOnA(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			names, err := listTools(t, resA, mint(t, tokenOpts{alg: alg, aud: resA}))
			if err != nil {
				t.Fatalf("list tools on A: %v", err)
			}
			// shape_lists: an mcp:tools token is not offered delete_a,
			// which needs mcp:admin.
			if !slices.Equal(names, []string{"echo_a"}) {
				t.Fatalf("tools on A = %v, want [echo_a]", names)
			}
		})
	}
}

// TestTokenForAOnB: the same token on B is refused with 401 invalid_token and
// a challenge pointing at B's metadata (RFC 9728 §5.1); the SDK client fails.
func TestTokenForAOnB(t *testing.T) {
	tok := mint(t, tokenOpts{aud: resA})
	status, challenge := post(t, resB, tok)
	if status != http.StatusUnauthorized {
		t.Fatalf("A's token on B: status %d, want 401", status)
	}
	if got := challengeParam(challenge, "error"); got != "invalid_token" {
		t.Errorf("challenge error %q, want invalid_token (challenge: %s)", got, challenge)
	}
	if got := challengeParam(challenge, "resource_metadata"); got != metaB {
		t.Errorf("resource_metadata %q, want %q", got, metaB)
	}
	if _, err := listTools(t, resB, tok); err == nil {
		t.Fatal("MCP client with A's token listed tools on B")
	}
}

// TestUnlistedAuthorityCatchAll: envoy.yaml routes every authority no
// virtual host lists to a catch-all virtual host whose route goes to mcp-b's
// cluster (envoy_test.go checks that). No resource names the catch-all, so
// the filter refuses each request there with 403 and no challenge (no
// resource, so no metadata to point at), with or without a token, and none
// reaches mcp-b: A's token is never judged as A's just because the router
// found no better virtual host. "unknown.example.com:443" is stripped to
// "unknown.example.com" by strip_any_host_port and lands in the catch-all
// too; "mcp-a.example.com:443" would not (it reaches mcp_a).
func TestUnlistedAuthorityCatchAll(t *testing.T) {
	tokA := mint(t, tokenOpts{aud: resA})
	beforeB := envoyStat(t, "cluster.mcp_b.upstream_rq_total")
	before := stats(t)
	requests := 0
	for _, tc := range []struct{ name, endpoint, token string }{
		{"A's token", "https://unknown.example.com/mcp", tokA},
		{"A's token, port 443", "https://unknown.example.com:443/mcp", tokA},
		{"A's token, A's metadata path", "https://unknown.example.com/.well-known/oauth-protected-resource/mcp", tokA},
		{"no token", "https://unknown.example.com/mcp", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge := post(t, tc.endpoint, tc.token)
			requests++
			if status != http.StatusForbidden {
				t.Fatalf("status %d, want 403 (unmatched_resource)", status)
			}
			if challenge != "" {
				t.Errorf("unmatched request carries a challenge %q; no resource, so none is due", challenge)
			}
		})
	}
	if _, err := listTools(t, "https://unknown.example.com/mcp", tokA); err == nil {
		t.Error("MCP client with A's token listed tools through the catch-all")
	}
	if afterB := envoyStat(t, "cluster.mcp_b.upstream_rq_total"); afterB != beforeB {
		t.Errorf("mcp-b received %d request(s) through the catch-all; want none", afterB-beforeB)
	}
	after := stats(t)
	if got := after["audguard.denied.unmatched_resource"] - before["audguard.denied.unmatched_resource"]; got < uint64(requests) {
		t.Errorf("audguard.denied.unmatched_resource rose by %d, want at least %d (the filter, not Envoy, must refuse)", got, requests)
	}
}

// TestMetadataFromChallenge: without a token each resource answers 401 with
// resource_metadata; the document at that URL names the same resource.
func TestMetadataFromChallenge(t *testing.T) {
	for _, tc := range []struct{ endpoint, resource, meta string }{
		{resA, resA, metaA},
		{resB, resB, metaB},
		{"https://mcp-b.example.com/reports/mcp", resBRep, metaBRep},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			status, challenge := post(t, tc.endpoint, "")
			if status != http.StatusUnauthorized {
				t.Fatalf("no token: status %d, want 401", status)
			}
			if challengeParam(challenge, "error") != "" {
				t.Errorf("no-token challenge carries an error code (RFC 6750 §3.1): %s", challenge)
			}
			metaURL := challengeParam(challenge, "resource_metadata")
			if metaURL != tc.meta {
				t.Fatalf("resource_metadata %q, want %q", metaURL, tc.meta)
			}
			resp, err := client("").Get(metaURL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("metadata: status %d content-type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var doc struct {
				Resource               string   `json:"resource"`
				AuthorizationServers   []string `json:"authorization_servers"`
				BearerMethodsSupported []string `json:"bearer_methods_supported"`
				ScopesSupported        []string `json:"scopes_supported"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if doc.Resource != tc.resource {
				t.Errorf("metadata resource %q, want %q", doc.Resource, tc.resource)
			}
			if !slices.Equal(doc.AuthorizationServers, []string{issuer}) || !slices.Equal(doc.BearerMethodsSupported, []string{"header"}) {
				t.Errorf("metadata: authorization_servers %v bearer_methods_supported %v", doc.AuthorizationServers, doc.BearerMethodsSupported)
			}
			if !slices.Contains(doc.ScopesSupported, "mcp:tools") {
				t.Errorf("metadata: scopes_supported %v lacks mcp:tools", doc.ScopesSupported)
			}
		})
	}
}

// TestAudienceVariants: near-miss audiences are refused (docs/configuration.md#canonical-resource-uri, exact
// mode), the per-route resource has its own audience, and other token faults
// get their status.
func TestAudienceVariants(t *testing.T) {
	const reports = "https://mcp-b.example.com/reports/mcp"
	tests := []struct {
		name     string
		endpoint string
		opts     tokenOpts
		want     int
	}{
		{"exact A", resA, tokenOpts{aud: resA}, http.StatusOK},
		{"A in a one-element array", resA, tokenOpts{aud: []string{resA}}, http.StatusOK},
		{"upper-case scheme and host", resA, tokenOpts{aud: "HTTPS://MCP-A.EXAMPLE.COM/mcp"}, http.StatusOK},
		{"B's audience", resA, tokenOpts{aud: resB}, http.StatusUnauthorized},
		{"A plus B (exclusive_audience)", resA, tokenOpts{aud: []string{resA, resB}}, http.StatusUnauthorized},
		{"trailing slash", resA, tokenOpts{aud: resA + "/"}, http.StatusUnauthorized},
		{"origin only", resA, tokenOpts{aud: "https://mcp-a.example.com"}, http.StatusUnauthorized},
		{"http scheme", resA, tokenOpts{aud: "http://mcp-a.example.com/mcp"}, http.StatusUnauthorized},
		{"explicit default port", resA, tokenOpts{aud: "https://mcp-a.example.com:443/mcp"}, http.StatusUnauthorized},
		{"upper-case path", resA, tokenOpts{aud: "https://mcp-a.example.com/MCP"}, http.StatusUnauthorized},
		{"percent-encoded path", resA, tokenOpts{aud: "https://mcp-a.example.com/%6Dcp"}, http.StatusUnauthorized},
		{"dot segment", resA, tokenOpts{aud: "https://mcp-a.example.com/x/../mcp"}, http.StatusUnauthorized},
		{"with query", resA, tokenOpts{aud: resA + "?x=1"}, http.StatusUnauthorized},
		{"with fragment", resA, tokenOpts{aud: resA + "#f"}, http.StatusUnauthorized},
		{"no aud", resA, tokenOpts{}, http.StatusUnauthorized},
		{"per-route: B's token on B's reports route", reports, tokenOpts{aud: resB}, http.StatusUnauthorized},
		{"per-route: reports token on reports route", reports, tokenOpts{aud: resBRep}, http.StatusOK},
		{"per-route: reports token on B", resB, tokenOpts{aud: resBRep}, http.StatusUnauthorized},
		{"missing scope", resA, tokenOpts{aud: resA, scope: "-"}, http.StatusForbidden},
		{"other scope", resA, tokenOpts{aud: resA, scope: "mcp:resources"}, http.StatusForbidden},
		{"expired", resA, tokenOpts{aud: resA, expIn: -time.Hour}, http.StatusUnauthorized},
		{"no typ", resA, tokenOpts{aud: resA, typ: "-"}, http.StatusUnauthorized},
		{"typ JWT", resA, tokenOpts{aud: resA, typ: "JWT"}, http.StatusUnauthorized},
		{"unknown issuer", resA, tokenOpts{aud: resA, issuer: "https://evil.example.com"}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge := post(t, tc.endpoint, mint(t, tc.opts))
			if status != tc.want {
				t.Fatalf("status %d, want %d (challenge: %s)", status, tc.want, challenge)
			}
			if status != http.StatusOK && challengeParam(challenge, "resource_metadata") == "" {
				t.Errorf("refusal without resource_metadata: %q", challenge)
			}
		})
	}
}

// TestSignatureTampering: a token whose signature does not verify is refused.
func TestSignatureTampering(t *testing.T) {
	tok := mint(t, tokenOpts{aud: resA})
	i := strings.LastIndexByte(tok, '.')
	sig := []byte(tok[i+1:])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	if status, _ := post(t, resA, tok[:i+1]+string(sig)); status != http.StatusUnauthorized {
		t.Fatalf("tampered signature: status %d, want 401", status)
	}
}

// TestHealthRouteBypassesFilter: the route with FilterConfig{disabled: true}
// answers without a token.
func TestHealthRouteBypassesFilter(t *testing.T) {
	resp, err := client("").Get("https://mcp-a.example.com/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: status %d, want 200", resp.StatusCode)
	}
}

// TestStats: each outcome moves its counter in Envoy's admin /stats
// (Wasm metrics appear as wasmcustom.audguard.*).
func TestStats(t *testing.T) {
	before := stats(t)
	if _, err := listTools(t, resA, mint(t, tokenOpts{aud: resA})); err != nil {
		t.Fatalf("allowed request: %v", err)
	}
	post(t, resA, mint(t, tokenOpts{aud: resB}))
	post(t, resA, mint(t, tokenOpts{aud: []string{resA, resB}}))
	post(t, resA, "")
	post(t, resA, mint(t, tokenOpts{aud: resA, scope: "-"}))
	if resp, err := client("").Get(metaA); err == nil {
		resp.Body.Close()
	}
	after := stats(t)
	for _, name := range []string{
		"audguard.allowed",
		"audguard.denied.wrong_audience",
		"audguard.denied.extra_audience",
		"audguard.denied.missing_token",
		"audguard.denied.insufficient_scope",
		"audguard.metadata",
	} {
		if after[name] <= before[name] {
			t.Errorf("counter %s did not increase (%d → %d); audguard stats: %v", name, before[name], after[name], after)
		}
	}
}

// TestStepUpDangerousTool: envoy.yaml's operations rule makes each server's
// dangerous tool need mcp:admin on top of mcp:tools. The SDK client (MCP
// 2026-07-28: it sends MCP-Protocol-Version, Mcp-Method and Mcp-Name) with a
// token lacking mcp:admin lists tools and calls the echo tool, and gets 403
// insufficient_scope naming "mcp:tools mcp:admin" for the dangerous one.
// The test then plays the authorization server: a token with the scope the
// challenge named, and the call succeeds.
func TestStepUpDangerousTool(t *testing.T) {
	for _, tc := range []struct{ endpoint, resource, meta, echo, danger, server string }{
		{resA, resA, metaA, "echo_a", "delete_a", "mcp-a"},
		{resB, resB, metaB, "echo_b", "delete_b", "mcp-b"},
		// Same upstream as B through another route: its own resource repeats the rule.
		{"https://mcp-b.example.com/reports/mcp", resBRep, metaBRep, "echo_b", "delete_b", "mcp-b"},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			want := `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="` + tc.meta +
				`", error_description="The access token lacks a required scope."`

			session, rec := connect(t, ctx, tc.endpoint, mint(t, tokenOpts{aud: tc.resource, scope: "mcp:tools"}))
			defer session.Close()
			if _, err := session.ListTools(ctx, nil); err != nil {
				t.Fatalf("tools/list with mcp:tools: %v", err)
			}
			if res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: tc.echo, Arguments: map[string]any{"text": "hi"}}); err != nil || res.IsError {
				t.Fatalf("%s with mcp:tools: %v %+v", tc.echo, err, res)
			}
			if res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: tc.danger, Arguments: map[string]any{"text": "all"}}); err == nil && !res.IsError {
				t.Fatalf("%s with mcp:tools only succeeded", tc.danger)
			}
			ex, ok := rec.find(tc.danger)
			if !ok {
				t.Fatalf("the SDK client sent no Mcp-Name %q; exchanges %+v", tc.danger, rec.log)
			}
			if ex.version != "2026-07-28" || ex.mcpMethod != "tools/call" {
				t.Errorf("the SDK client sent MCP-Protocol-Version %q, Mcp-Method %q", ex.version, ex.mcpMethod)
			}
			if ex.status != http.StatusForbidden || ex.challenge != want {
				t.Fatalf("%s: status %d, WWW-Authenticate %q; want 403, %q", tc.danger, ex.status, ex.challenge, want)
			}

			// Step-up: the token the authorization server would mint for
			// scope=<the challenge's scope> and resource=<resource> (RFC 8707).
			scope := challengeParam(ex.challenge, "scope")
			session2, rec2 := connect(t, ctx, tc.endpoint, mint(t, tokenOpts{aud: tc.resource, scope: scope}))
			defer session2.Close()
			res, err := session2.CallTool(ctx, &mcp.CallToolParams{Name: tc.danger, Arguments: map[string]any{"text": "all"}})
			if err != nil || res.IsError {
				t.Fatalf("%s with %q: %v %+v", tc.danger, scope, err, res)
			}
			var out struct{ Text, Server string }
			if b, err := json.Marshal(res.StructuredContent); err != nil || json.Unmarshal(b, &out) != nil ||
				out.Text != "deleted all" || out.Server != tc.server {
				t.Errorf("%s answered %+v, want deleted all from %s", tc.danger, res.StructuredContent, tc.server)
			}
			if ex, _ := rec2.find(tc.danger); ex.status != http.StatusOK {
				t.Errorf("%s with %q: status %d", tc.danger, scope, ex.status)
			}
		})
	}
}

// TestHeaderBodyMismatchThroughEnvoy: envoy.yaml's resources have
// operations, so audguard reads the JSON-RPC body of each POST to the MCP
// endpoint (mcp_body verify, docs/request-flow.md#the-body). A client that
// names the echo tool in the header and the dangerous one in the body is
// answered by audguard itself: 400 with a JSON-RPC HeaderMismatch (-32020)
// error carrying the request's id, before the MCP server sees it.
func TestHeaderBodyMismatchThroughEnvoy(t *testing.T) {
	tok := mint(t, tokenOpts{aud: resA, scope: "mcp:tools"})
	v := map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call"}
	with := func(name string) map[string]string {
		h := map[string]string{"Mcp-Name": name}
		for k, x := range v {
			h[k] = x
		}
		return h
	}
	before := stats(t)
	status, challenge, _ := postMCP(t, resA, tok, callBody("delete_a", "all"), with("delete_a"))
	if status != http.StatusForbidden || challengeParam(challenge, "scope") != "mcp:tools mcp:admin" {
		t.Fatalf("honest headers: status %d, challenge %q; want 403 naming mcp:tools mcp:admin", status, challenge)
	}
	const mismatch = "The Mcp-Method or Mcp-Name header is missing or does not match the JSON-RPC body."
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"Mcp-Name lies", with("echo_a")},
		{"Mcp-Method lies", map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge, body := postMCP(t, resA, tok, callBody("delete_a", "all"), tc.headers)
			var resp struct {
				Error *struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if status != http.StatusBadRequest || challenge != "" || json.Unmarshal(body, &resp) != nil || resp.Error == nil {
				t.Fatalf("want audguard's 400 JSON-RPC error; got %d %q %s", status, challenge, body)
			}
			if resp.Error.Code != -32020 || resp.Error.Message != mismatch {
				t.Errorf("error %d %q, want -32020 %q", resp.Error.Code, resp.Error.Message, mismatch)
			}
		})
	}
	after := stats(t)
	if got := after["audguard.denied.header_mismatch"] - before["audguard.denied.header_mismatch"]; got != 2 {
		t.Errorf("audguard.denied.header_mismatch rose by %d, want 2 (the two lies)", got)
	}
}

// TestLegacyClientJudgedByBody: a request without MCP-Protocol-Version
// 2026-07-28 (here a 2025-06-18 initialize, then a tools/call without
// Mcp-Method/Mcp-Name) is judged by its body: initialize needs
// required_scopes alone, the dangerous tool mcp:admin as well.
func TestLegacyClientJudgedByBody(t *testing.T) {
	tools := mint(t, tokenOpts{aud: resA, scope: "mcp:tools"})
	if status, challenge, _ := postMCP(t, resA, tools, initializeBody, nil); status != http.StatusOK {
		t.Fatalf("legacy initialize with mcp:tools: %d %q; want 200", status, challenge)
	}
	legacy := map[string]string{"Mcp-Protocol-Version": "2025-06-18"}
	want := `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="` + metaA +
		`", error_description="The access token lacks a required scope."`
	if status, challenge, _ := postMCP(t, resA, tools, callBody("delete_a", "all"), legacy); status != http.StatusForbidden || challenge != want {
		t.Fatalf("legacy tools/call delete_a with mcp:tools: %d %q; want 403 %q", status, challenge, want)
	}
}
