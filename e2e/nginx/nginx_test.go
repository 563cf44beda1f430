//go:build e2enginx

package nginx

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/audguard/audguard/internal/mint"
)

// Descriptions and challenges as docs/responses.md states them.
const (
	dMissing  = "A bearer access token is required."
	dAudience = "The access token was not issued for this resource."
	dExpired  = "The access token has expired."
	dUnknown  = "The access token was not signed with a trusted key."
	dQuery    = "Access tokens are not accepted in the query string; use the Authorization header."
	dUnmatch  = "No protected resource is configured for this request."
	dKeys     = "The keys to verify the access token cannot be had right now; try again shortly."
	wwwA      = `Bearer resource_metadata="` + metaA + `", scope="mcp:tools"`
)

func invalidToken(desc string) string {
	return `Bearer error="invalid_token", error_description="` + desc + `", resource_metadata="` + metaA + `"`
}

// resource is one protected resource of the suite's configurations.
func resource(uri, host, name string, extra map[string]any) map[string]any {
	r := map[string]any{"resource": uri, "name": name, "authorities": []string{host},
		"required_scopes": []string{"mcp:tools"}, "claim_headers": map[string]string{"sub": "x-mcp-subject"}}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

// localConfig: keys in the configuration; mcp-a and mcp-b behind the echo
// upstream, tools behind the MCP server with a per-tool rule (and the keys
// of toolsExtra).
func localConfig(t testing.TB, mode string, toolsExtra ...map[string]any) string {
	tools := map[string]any{
		"authorization_servers": []string{issuer},
		"operations":            []any{map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}},
	}
	for _, x := range toolsExtra {
		for k, v := range x {
			tools[k] = v
		}
	}
	return mustJSON(t, map[string]any{
		"mode": mode, "authority_from": "host",
		"issuers": []any{map[string]any{"name": "corp", "issuer": issuer,
			"jwks": map[string]any{"keys": []any{keys.rs.Public(), keys.ec.Public()}}}},
		"resources": []any{
			resource(resA, "mcp-a.example.com", "a", nil),
			resource(resB, "mcp-b.example.com", "b", nil),
			resource(resTools, "tools.example.com", "tools", tools),
		},
	})
}

// servers puts cfg in front of the suite's upstreams (one proxy_wasm per
// server, as a per-server configuration would be) plus the metrics reader.
func servers(cfg string) []server {
	return []server{
		{names: []string{"mcp-a.example.com", "alias-a.example.com"}, module: "audguard", config: cfg, upstream: "echo"},
		{names: []string{"mcp-b.example.com"}, module: "audguard", config: cfg, upstream: "echo"},
		{names: []string{"tools.example.com"}, module: "audguard", config: cfg, upstream: "mcp"},
		{names: []string{"metrics.test"}, module: "metrics"},
	}
}

func withMetrics(mods ...module) []module {
	return append(mods, module{"metrics", helperModules["metrics"]})
}

// reply is one answer as the client saw it.
type reply struct {
	status int
	header http.Header
	body   []byte
	proto  string
}

func (r reply) echo(t testing.TB) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("upstream answer is not the echo: %v: %s", err, r.body)
	}
	return e
}

// do sends one request to nginx over tr.
func (n *nginx) do(t testing.TB, tr transport, method, rawURL string, hdr [][2]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body = nil
	}
	for _, kv := range hdr {
		if strings.EqualFold(kv[0], "host") {
			req.Host = kv[1]
			continue
		}
		req.Header.Add(kv[0], kv[1])
	}
	resp, err := n.client(tr, nil).Do(req)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", method, rawURL, tr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b, resp.Proto}
}

// metric reads audguard's metric name through the metrics reader; ok is
// false when the reader could not (the metric does not exist: the reader's
// instance trapped).
func (n *nginx) metric(t testing.TB, name string) (uint64, bool) {
	t.Helper()
	r := n.do(t, h1, "GET", "http://metrics.test/?name="+url.QueryEscape(name), nil, "")
	if r.status != 200 {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(r.body)), 10, 64)
	if err != nil {
		t.Fatalf("metric %s: %q", name, r.body)
	}
	return v, true
}

// wantDenial checks a denial's status, challenge and JSON body.
func wantDenial(t testing.TB, r reply, status int, www, errCode, desc string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; www-authenticate %q; body %s", r.status, status, r.header.Get("www-authenticate"), r.body)
	}
	if got := r.header.Get("www-authenticate"); got != www {
		t.Errorf("www-authenticate:\n got %q\nwant %q", got, www)
	}
	if ct := r.header.Get("content-type"); ct != "application/json" {
		t.Errorf("content-type %q, want application/json", ct)
	}
	var b struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error != errCode || b.ErrorDescription != desc {
		t.Errorf("body %s, want error %q, error_description %q", r.body, errCode, desc)
	}
}

// TestLocalKeys: allow, deny, metadata and challenges over HTTP/1.1, TLS and
// HTTP/2; exactly which headers reach the upstream under the guide's nginx
// configuration; the authority rules; counters read back from the host.
func TestLocalKeys(t *testing.T) {
	n := startNginx(t, nginxBin, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}), servers: servers(localConfig(t, "enforce"))})
	defer n.checkHealthy(t)
	good := sign(keys.rs, resA, nil)
	goodEC := sign(keys.ec, resA, nil)
	allowed := 0
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			u := tr.scheme() + "://mcp-a.example.com/mcp"
			t.Run("protocol", func(t *testing.T) {
				r := n.do(t, tr, "GET", u, nil, "")
				want := map[transport]string{h1: "HTTP/1.1", h1TLS: "HTTP/1.1", h2TLS: "HTTP/2.0"}[tr]
				if r.proto != want {
					t.Errorf("protocol %s, want %s", r.proto, want)
				}
			})
			t.Run("no token: 401 with the metadata challenge", func(t *testing.T) {
				wantDenial(t, n.do(t, tr, "POST", u, nil, `{}`), 401, wwwA, "unauthorized", dMissing)
			})
			t.Run("metadata document answered by the filter", func(t *testing.T) {
				r := n.do(t, tr, "GET", tr.scheme()+"://mcp-a.example.com/.well-known/oauth-protected-resource/mcp", nil, "")
				var prm struct {
					Resource        string   `json:"resource"`
					ScopesSupported []string `json:"scopes_supported"`
				}
				if r.status != 200 || json.Unmarshal(r.body, &prm) != nil || prm.Resource != resA {
					t.Fatalf("metadata: %d %s", r.status, r.body)
				}
				if _, isEcho := r.header["X-Echo"]; isEcho || strings.Contains(string(r.body), `"headers"`) {
					t.Errorf("metadata reached the upstream: %s", r.body)
				}
			})
			t.Run("valid token: allowed, exactly the listed headers upstream", func(t *testing.T) {
				sent := [][2]string{
					{"authorization", "Bearer " + good},
					{"content-type", "application/json"},
					{"accept", "application/json, text/event-stream"},
					{"mcp-protocol-version", "2026-07-28"},
					{"mcp-method", "tools/call"},
					{"mcp-name", "get_forecast"},
					{"mcp-param-city", "Oslo"},
					{"x-mcp-subject", "admin"}, // spoof: replaced by the token's sub
					{"cookie", "session=secret"},
					{"x-forwarded-for", "10.0.0.1"},
					{"x-unlisted", "dropped"},
				}
				r := n.do(t, tr, "POST", u, sent, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_forecast","arguments":{"city":"Oslo"}}}`)
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				allowed++
				e := r.echo(t)
				want := map[string]string{
					"content-type": "application/json", "accept": "application/json, text/event-stream",
					"mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "get_forecast",
					"mcp-param-city": "Oslo", "x-mcp-subject": subject,
					"content-length": "", // nginx's own, for the body
					"connection":     "", // nginx's own, to the keepalive upstream
				}
				var got []string
				for name, v := range e.Headers {
					got = append(got, name)
					w, listed := want[name]
					switch {
					case !listed:
						t.Errorf("upstream got header %s: %q (not in the guide's list)", name, v)
					case len(v) != 1:
						t.Errorf("upstream got %d %s headers: %q", len(v), name, v)
					case w != "" && v[0] != w:
						t.Errorf("upstream %s = %q, want %q", name, v[0], w)
					}
				}
				for name := range want {
					if _, ok := e.Headers[name]; !ok && name != "connection" {
						t.Errorf("upstream lacks %s (sorted got: %v)", name, sorted(got))
					}
				}
				if e.Host != "mcp-a.example.com" || e.URI != "/mcp" || e.Method != "POST" {
					t.Errorf("upstream request %s %s host %s", e.Method, e.URI, e.Host)
				}
			})
			t.Run("ES256 token allowed", func(t *testing.T) {
				if r := n.do(t, tr, "GET", u, [][2]string{{"authorization", "Bearer " + goodEC}}, ""); r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				allowed++
			})
			t.Run("token for another resource: 401 wrong audience", func(t *testing.T) {
				r := n.do(t, tr, "GET", u, [][2]string{{"authorization", "Bearer " + sign(keys.rs, resB, nil)}}, "")
				wantDenial(t, r, 401, invalidToken(dAudience), "invalid_token", dAudience)
			})
			t.Run("expired: 401", func(t *testing.T) {
				old := time.Now().Add(-time.Hour).Unix()
				r := n.do(t, tr, "GET", u, [][2]string{{"authorization", "Bearer " + sign(keys.rs, resA, map[string]any{"exp": old, "iat": old - 60, "nbf": old - 60})}}, "")
				wantDenial(t, r, 401, invalidToken(dExpired), "invalid_token", dExpired)
			})
			t.Run("unknown key: 401", func(t *testing.T) {
				r := n.do(t, tr, "GET", u, [][2]string{{"authorization", "Bearer " + sign(keys.rsNext, resA, nil)}}, "")
				wantDenial(t, r, 401, invalidToken(dUnknown), "invalid_token", dUnknown)
			})
			t.Run("token in the query: 400", func(t *testing.T) {
				r := n.do(t, tr, "GET", u+"?access_token="+good, nil, "")
				wantDenial(t, r, 400, `Bearer error="invalid_request", error_description="`+dQuery+`", resource_metadata="`+metaA+`"`, "invalid_request", dQuery)
			})
		})
	}
	t.Run("authority", func(t *testing.T) {
		tok := [][2]string{{"authorization", "Bearer " + good}}
		// $host drops the port: the resource is found whatever port the client names.
		if r := n.do(t, h1, "GET", "http://mcp-a.example.com/mcp", append(tok, [2]string{"host", "mcp-a.example.com:8443"}), ""); r.status != 200 {
			t.Errorf("Host with a port: status %d %s", r.status, r.body)
		} else {
			allowed++
		}
		// Upper case and a trailing dot: nginx lower-cases $host and removes the dot.
		if r := n.do(t, h1, "GET", "http://mcp-a.example.com/mcp", append(tok, [2]string{"host", "MCP-A.Example.COM."}), ""); r.status != 200 {
			t.Errorf("Host in upper case with a dot: status %d %s", r.status, r.body)
		} else {
			allowed++
		}
		// The second server_name of the block: :authority would be the first
		// name (ngx_wasm_module builds it from the server block), $host is what
		// the client asked for, and no resource lists it.
		r := n.do(t, h1, "GET", "http://alias-a.example.com/mcp", tok, "")
		wantDenial(t, r, 403, "", "access_denied", dUnmatch)
		// A token for mcp-b at mcp-b's server block is fine; at mcp-a's it is not.
		if r := n.do(t, h1, "GET", "http://mcp-b.example.com/mcp", [][2]string{{"authorization", "Bearer " + sign(keys.rs, resB, nil)}}, ""); r.status != 200 {
			t.Errorf("mcp-b: %d %s", r.status, r.body)
		} else {
			allowed++
		}
		// A name no server lists: nginx's default server answers, no filter runs.
		if r := n.do(t, h1, "GET", "http://unknown.example.com/mcp", tok, ""); r.status != 404 {
			t.Errorf("unknown host: %d", r.status)
		}
		// Two Authorization headers: nginx answers 400 itself (its own check).
		if r := n.do(t, h1, "GET", "http://mcp-a.example.com/mcp", append(tok, [2]string{"authorization", "Bearer x"}), ""); r.status != 400 {
			t.Errorf("two Authorization headers: %d", r.status)
		}
	})
	t.Run("counters read back from the host", func(t *testing.T) {
		for name, want := range map[string]uint64{
			"audguard.allowed":                         uint64(allowed),
			"audguard.resource.a.denied.missing_token": uint64(2 * len(transports)), // "protocol" and "no token"
			"audguard.denied.wrong_audience":           uint64(len(transports)),
			"audguard.denied.unmatched_resource":       1,
		} {
			if got, ok := n.metric(t, name); !ok || got != want {
				t.Errorf("%s = %d (read %v), want %d", name, got, ok, want)
			}
		}
	})
}

func sorted(s []string) []string { sort.Strings(s); return s }

// TestReportMode: report mode lets a bad token through to the upstream,
// logs what it would have denied, and counts it.
func TestReportMode(t *testing.T) {
	n := startNginx(t, nginxBin, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}), servers: servers(localConfig(t, "report"))})
	defer n.checkHealthy(t)
	n.mark()
	r := n.do(t, h1, "GET", "http://mcp-a.example.com/mcp", [][2]string{{"authorization", "Bearer " + sign(keys.rs, resB, nil)}}, "")
	if r.status != 200 {
		t.Fatalf("report mode: status %d %s", r.status, r.body)
	}
	if e := r.echo(t); len(e.Headers["authorization"]) != 0 {
		t.Errorf("the token reached the upstream: %v", e.Headers["authorization"])
	}
	if lines := n.grep("would deny"); len(lines) != 1 || !strings.Contains(lines[0], "wrong_audience") {
		t.Errorf("report-mode log lines: %q", lines)
	}
	if got, ok := n.metric(t, "audguard.would_deny.wrong_audience"); !ok || got != 1 {
		t.Errorf("would_deny.wrong_audience = %d (%v), want 1", got, ok)
	}
}

// TestStepUpSDK: the official MCP Go SDK client, through nginx over HTTP/2
// and TLS, to the SDK server: 401 and authorization for mcp:tools, tools
// listed, the safe tool called (its Mcp-Param-City header forwarded by the
// guide's list and checked by the server), the dangerous one refused with
// 403 naming mcp:admin, the SDK steps up on its own and the retry runs it.
//
// shape_lists is off here: a 2026-07-28 client calls a tool with the
// parameter headers its listed schema names (x-mcp-header), so a tool the
// shaped list hid cannot be called right after a step-up without listing
// again (docs/troubleshooting.md); TestListsOnRealHost covers shaping.
func TestStepUpSDK(t *testing.T) {
	cfg := localConfig(t, "enforce", map[string]any{"shape_lists": false})
	n := startNginx(t, nginxBin, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}), servers: servers(cfg)})
	defer n.checkHealthy(t)
	httpc := n.client(h2TLS, map[string]int{"auth.example.com": asPort})
	handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		PreregisteredClient: &oauthex.ClientCredentials{ClientID: clientID, Issuer: issuer},
		RedirectURL:         redirectURL,
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			req, _ := http.NewRequestWithContext(ctx, "GET", args.URL, nil)
			resp, err := httpc.Do(req)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusFound {
				return nil, fmt.Errorf("authorize: %d %v", resp.StatusCode, err)
			}
			q := loc.Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
		Client: httpc,
	})
	if err != nil {
		t.Fatal(err)
	}
	before := len(as.authorizations())
	ctx := t.Context()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: resTools, HTTPClient: httpc, OAuthHandler: handler}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 2 {
		t.Fatalf("list tools: %v %v", tools, err)
	}
	safe, dangerous := mcpCalls.get("get_forecast"), mcpCalls.get("delete_forecast")
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_forecast", Arguments: map[string]any{"city": "Oslo"}})
	if err != nil || res.IsError {
		t.Fatalf("get_forecast: %v %+v", err, res)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "delete_forecast", Arguments: map[string]any{"city": "Oslo"}})
	if err != nil || res.IsError {
		t.Fatalf("delete_forecast after step-up: %v %+v", err, res)
	}
	if got := []int{mcpCalls.get("get_forecast") - safe, mcpCalls.get("delete_forecast") - dangerous}; !slices.Equal(got, []int{1, 1}) {
		t.Errorf("tool runs (safe, dangerous) = %v, want [1 1]", got)
	}
	got := as.authorizations()[before:]
	for i, sc := range got {
		got[i] = strings.Join(sorted(strings.Fields(sc)), " ")
	}
	if !slices.Equal(got, []string{"mcp:tools", "mcp:admin mcp:tools"}) {
		t.Errorf("authorizations asked for scopes %q, want mcp:tools, then mcp:tools mcp:admin", got)
	}
	if got, ok := n.metric(t, "audguard.resource.tools.denied.insufficient_scope"); !ok || got != 1 {
		t.Errorf("resource.tools.denied.insufficient_scope = %d (%v), want 1", got, ok)
	}
}

// TestBodyOnRealHost: per-tool scopes judged from the JSON-RPC body on
// ngx_wasm_module, whose headers phase must continue before it reads the
// body (one on_request_body call with end of stream): old clients without
// MCP headers, a client lying in its headers, a body over max_body_bytes, a
// body larger than nginx's default client buffer, over HTTP/1.1 and HTTP/2.
func TestBodyOnRealHost(t *testing.T) {
	cfg := mustJSON(t, map[string]any{
		"mode": "enforce", "authority_from": "host",
		"issuers": []any{map[string]any{"name": "corp", "issuer": issuer,
			"jwks": map[string]any{"keys": []any{keys.rs.Public()}}}},
		"resources": []any{resource(resTools, "tools.example.com", "tools", map[string]any{
			"max_body_bytes": 65536,
			"operations":     []any{map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}},
		})},
	})
	n := startNginx(t, nginxBin, conf{workers: 1, servers: []server{{names: []string{"tools.example.com"}, module: "audguard", config: cfg, upstream: "mcp"}}})
	defer n.checkHealthy(t)
	tools := sign(keys.rs, resTools, nil)
	call := func(id int, tool, pad string) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{"city":"Oslo%s"}}}`, id, tool, pad)
	}
	post := func(t *testing.T, tr transport, hdr [][2]string, body string) reply {
		h := append([][2]string{{"authorization", "Bearer " + tools}, {"content-type", "application/json"},
			{"accept", "application/json, text/event-stream"}, {"mcp-protocol-version", "2025-06-18"}}, hdr...)
		return n.do(t, tr, "POST", tr.scheme()+"://tools.example.com/mcp", h, body)
	}
	for _, tr := range []transport{h1, h2TLS} {
		t.Run(string(tr), func(t *testing.T) {
			before := mcpCalls.get("delete_forecast")
			r := post(t, tr, nil, call(1, "delete_forecast", ""))
			wantDenial(t, r, 403, `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="https://tools.example.com/.well-known/oauth-protected-resource/mcp", error_description="The access token lacks a required scope."`,
				"insufficient_scope", "The access token lacks a required scope.")
			if r := post(t, tr, nil, call(2, "get_forecast", "")); r.status != 200 || !strings.Contains(string(r.body), "get_forecast Oslo") {
				t.Errorf("get_forecast from an old client: %d %s", r.status, r.body)
			}
			// The headers say get_forecast, the body delete_forecast.
			r = post(t, tr, [][2]string{{"mcp-method", "tools/call"}, {"mcp-name", "get_forecast"}}, call(3, "delete_forecast", ""))
			if r.status != 400 || strings.TrimSpace(string(r.body)) != `{"jsonrpc":"2.0","id":3,"error":{"code":-32020,"message":"The Mcp-Method or Mcp-Name header is missing or does not match the JSON-RPC body."}}` {
				t.Errorf("lying headers: %d %s", r.status, r.body)
			}
			// Larger than nginx's default client_body_buffer_size (16k): kept
			// in memory by the guide's client_body_buffer_size.
			if r := post(t, tr, nil, call(4, "get_forecast", strings.Repeat("x", 40000))); r.status != 200 {
				t.Errorf("a 40 KB body: %d %s", r.status, r.body)
			}
			r = post(t, tr, nil, call(5, "get_forecast", strings.Repeat("x", 70000)))
			if r.status != 413 || !strings.Contains(string(r.body), "request_too_large") {
				t.Errorf("a body over max_body_bytes: %d %s", r.status, r.body)
			}
			if got := mcpCalls.get("delete_forecast") - before; got != 0 {
				t.Errorf("delete_forecast ran %d times", got)
			}
		})
	}
}

// TestDPoPOnRealHost: sender-constrained tokens (RFC 9449) on
// ngx_wasm_module, dpop "required" with proxy-issued nonces: a client holding
// the key meets the nonce challenge, retries with the nonce and passes; the
// same proof again is a replay; the token with a proof made by another key,
// or presented as a Bearer token without any proof, is refused.
func TestDPoPOnRealHost(t *testing.T) {
	cfg := mustJSON(t, map[string]any{
		"mode": "enforce", "authority_from": "host",
		"issuers": []any{map[string]any{"name": "corp", "issuer": issuer,
			"jwks": map[string]any{"keys": []any{keys.rs.Public()}}}},
		"resources": []any{resource(resA, "mcp-a.example.com", "a", map[string]any{"dpop": "required", "dpop_nonce": true})},
	})
	n := startNginx(t, nginxBin, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}), servers: []server{
		{names: []string{"mcp-a.example.com"}, module: "audguard", config: cfg, upstream: "echo"},
		{names: []string{"metrics.test"}, module: "metrics"}}})
	defer n.checkHealthy(t)
	holder, err := mint.NewKey("ES256", "")
	if err != nil {
		t.Fatal(err)
	}
	thief, err := mint.NewKey("ES256", "")
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(keys.rs, resA, map[string]any{"cnf": map[string]any{"jkt": holder.Thumbprint()}})
	seq := 0
	proof := func(k *mint.Key, nonce string) string {
		seq++
		c := map[string]any{"jti": fmt.Sprintf("e2e-%d-%d", time.Now().UnixNano(), seq), "htm": "POST",
			"htu": "https://mcp-a.example.com/mcp", "iat": time.Now().Unix(), "ath": mint.TokenHash(tok)}
		if nonce != "" {
			c["nonce"] = nonce
		}
		p, err := k.DPoPProof(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	post := func(scheme, p string) reply {
		hdr := [][2]string{{"authorization", scheme + " " + tok}}
		if p != "" {
			hdr = append(hdr, [2]string{"dpop", p})
		}
		return n.do(t, h1, "POST", "http://mcp-a.example.com/mcp", hdr, `{}`)
	}
	// No nonce yet: 401 use_dpop_nonce with a DPoP-Nonce to use.
	r := post("DPoP", proof(holder, ""))
	nonce := r.header.Get("dpop-nonce")
	if r.status != 401 || nonce == "" || !strings.Contains(r.header.Get("www-authenticate"), `error="use_dpop_nonce"`) {
		t.Fatalf("first proof: %d, DPoP-Nonce %q, WWW-Authenticate %q", r.status, nonce, r.header.Get("www-authenticate"))
	}
	withNonce := proof(holder, nonce)
	if r := post("DPoP", withNonce); r.status != 200 {
		t.Fatalf("proof with the nonce: %d %q %s", r.status, r.header.Get("www-authenticate"), r.body)
	} else if e := r.echo(t); len(e.Headers["authorization"]) != 0 {
		t.Errorf("the token reached the upstream")
	}
	// The same proof again: a replay.
	if r := post("DPoP", withNonce); r.status != 401 || !strings.Contains(r.header.Get("www-authenticate"), `error="invalid_dpop_proof"`) {
		t.Errorf("replayed proof: %d %q", r.status, r.header.Get("www-authenticate"))
	}
	// The stolen token: with the thief's own proof, or as a Bearer token.
	if r := post("DPoP", proof(thief, nonce)); r.status != 401 {
		t.Errorf("stolen token, thief's proof: %d", r.status)
	}
	if r := post("Bearer", ""); r.status != 401 || !strings.HasPrefix(r.header.Get("www-authenticate"), "DPoP ") {
		t.Errorf("stolen token as Bearer: %d %q", r.status, r.header.Get("www-authenticate"))
	}
	if got, ok := n.metric(t, "audguard.denied.use_dpop_nonce"); !ok || got != 1 {
		t.Errorf("denied.use_dpop_nonce = %d (%v), want 1", got, ok)
	}
}
