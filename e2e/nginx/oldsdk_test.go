//go:build e2enginx

package nginx

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/audguard/audguard/internal/oldsdk"
)

// MCP clients and servers older than 2026-07-28 on the real host: the
// official MCP Go SDK at v1.1.0 (e2e/oldsdk, a module of its own), whose
// client sends MCP-Protocol-Version 2025-06-18 at most and never Mcp-Method
// or Mcp-Name, and whose server never compares those headers with the body.
// Here the old server runs as v1.1.0 serves by default: with sessions, POSTs
// answered with event streams, and the client's standing GET stream open
// through nginx.

// oldSDKPrograms builds e2e/oldsdk's programs once per test binary into
// build/e2e-nginx/oldsdk.
func oldSDKPrograms(t testing.TB) (client, server string) {
	return oldsdk.Programs(t, repoRoot, filepath.Join(workDir, "oldsdk"))
}

// runOldClient runs the old client against endpoint (Host tools.example.com)
// with token, calling tool; it trusts the suite's test CA (SSL_CERT_FILE).
func runOldClient(t testing.TB, bin, endpoint, token, tool string) []oldsdk.Step {
	return oldsdk.RunClient(t, bin, oldsdk.Call{URL: endpoint, Host: "tools.example.com", Token: token, Tool: tool,
		Args: `{"city":"Oslo"}`, Env: []string{"SSL_CERT_FILE=" + filepath.Join(workDir, "ca.crt")}})
}

// TestOldSDKOnRealHost: the MCP Go SDK v1.1.0 client and server with the
// filter on nginx, over HTTP/1.1 and HTTP/2 (TLS).
//
// Old client: a token with mcp:tools lists the tools and calls get_forecast;
// delete_forecast is refused 403 with WWW-Authenticate naming "mcp:tools
// mcp:admin" and does not run; a token with mcp:tools mcp:admin calls it.
//
// Lying client (raw HTTP, in a session it opened): headers naming
// get_forecast (Mcp-Name alone, or with Mcp-Method tools/call) on a body
// calling delete_forecast, under MCP-Protocol-Version 2025-06-18 and
// 2026-07-28, are refused by the filter (400, JSON-RPC -32020 with the id)
// and the old server never runs delete_forecast; the honest get_forecast
// calls run. The control: the same lies sent straight to another old
// server run delete_forecast there.
func TestOldSDKOnRealHost(t *testing.T) {
	clientBin, serverBin := oldSDKPrograms(t)
	behind := oldsdk.StartServer(t, serverBin) // sessions, event streams: v1.1.0's defaults
	cfg := mustJSON(t, map[string]any{
		"mode": "enforce", "authority_from": "host",
		"issuers": []any{map[string]any{"name": "corp", "issuer": issuer,
			"jwks": map[string]any{"keys": []any{keys.rs.Public()}}}},
		"resources": []any{resource(resTools, "tools.example.com", "tools", map[string]any{
			"operations": []any{map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}},
		})},
	})
	n := startNginx(t, nginxBin, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}),
		httpExtra: fmt.Sprintf("upstream oldmcp { server %s; keepalive 8; }", behind.Addr),
		servers: []server{
			{names: []string{"tools.example.com"}, module: "audguard", config: cfg, upstream: "oldmcp"},
			{names: []string{"metrics.test"}, module: "metrics"},
		}})
	defer n.checkHealthy(t)
	tools := sign(keys.rs, resTools, nil)
	admin := sign(keys.rs, resTools, map[string]any{"scope": "mcp:tools mcp:admin"})
	const challenge = `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="https://tools.example.com/.well-known/oauth-protected-resource/mcp", error_description="The access token lacks a required scope."`
	endpoints := map[transport]string{
		h1:    "http://127.0.0.1:" + strconv.Itoa(n.h1) + "/mcp",
		h2TLS: "https://127.0.0.1:" + strconv.Itoa(n.tls) + "/mcp",
	}
	protos := map[transport]string{h1: "HTTP/1.1", h2TLS: "HTTP/2.0"}

	t.Run("old client", func(t *testing.T) {
		for _, tr := range []transport{h1, h2TLS} {
			t.Run(string(tr), func(t *testing.T) {
				u, proto := endpoints[tr], protos[tr]
				before := behind.Runs(t)
				steps := runOldClient(t, clientBin, u, tools, "get_forecast")
				oldsdk.WantSteps(t, steps, proto, true, true, true)
				if !slices.Equal(steps[1].Tools, []string{"get_forecast"}) {
					t.Errorf("tools token: tools listed %q, want %q (shape_lists)", steps[1].Tools, []string{"get_forecast"})
				}
				if steps[2].Text != "sunny in Oslo" {
					t.Errorf("get_forecast: %q", steps[2].Text)
				}
				steps = runOldClient(t, clientBin, u, tools, "delete_forecast")
				oldsdk.WantSteps(t, steps, proto, true, true, false)
				if !slices.Equal(steps[1].Tools, []string{"get_forecast"}) {
					t.Errorf("tools token: tools listed %q, want %q (shape_lists)", steps[1].Tools, []string{"get_forecast"})
				}
				if c := steps[2]; c.Status != 403 || c.WWWAuthenticate != challenge || !strings.Contains(c.Error, "Forbidden") {
					t.Errorf("delete_forecast with mcp:tools: status %d, WWW-Authenticate %q, SDK error %q; want 403, %q", c.Status, c.WWWAuthenticate, c.Error, challenge)
				}
				if got := behind.Runs(t); got["get_forecast"] != before["get_forecast"]+1 || got["delete_forecast"] != before["delete_forecast"] {
					t.Errorf("runs %v after get_forecast and the refused delete_forecast, were %v", got, before)
				}
				steps = runOldClient(t, clientBin, u, admin, "delete_forecast")
				oldsdk.WantSteps(t, steps, proto, true, true, true)
				if !slices.Equal(steps[1].Tools, []string{"delete_forecast", "get_forecast"}) {
					t.Errorf("admin token: tools listed %q, want %q (shape_lists)", steps[1].Tools, []string{"delete_forecast", "get_forecast"})
				}
				if steps[2].Text != "deleted Oslo" {
					t.Errorf("delete_forecast with mcp:admin: %q", steps[2].Text)
				}
				if got := behind.Runs(t)["delete_forecast"]; got != before["delete_forecast"]+1 {
					t.Errorf("delete_forecast ran %d times in all, want %d", got, before["delete_forecast"]+1)
				}
			})
		}
	})

	call := func(id int, tool string) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{"city":"Oslo"}}}`, id, tool)
	}
	type lie struct{ version, method, name string }
	var lies []lie
	for _, v := range []string{"2025-06-18", "2026-07-28"} {
		lies = append(lies, lie{v, "", "get_forecast"}, lie{v, "tools/call", "get_forecast"})
	}
	honest := []lie{{"2025-06-18", "", ""}, {"2025-06-18", "tools/call", "get_forecast"}, {"2026-07-28", "tools/call", "get_forecast"}}
	headers := func(session string, l lie) [][2]string {
		h := [][2]string{{"content-type", "application/json"}, {"accept", "application/json, text/event-stream"},
			{"mcp-session-id", session}, {"mcp-protocol-version", l.version}}
		if l.method != "" {
			h = append(h, [2]string{"mcp-method", l.method})
		}
		if l.name != "" {
			h = append(h, [2]string{"mcp-name", l.name})
		}
		return h
	}

	t.Run("control: without the filter the old server runs the lie", func(t *testing.T) {
		direct := oldsdk.StartServer(t, serverBin)
		do := func(hdr [][2]string, body string) reply {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", direct.URL()+"/mcp", strings.NewReader(body))
			for _, kv := range hdr {
				req.Header.Add(kv[0], kv[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return reply{resp.StatusCode, resp.Header, b, resp.Proto}
		}
		session := openSession(t, do)
		for i, l := range lies {
			if r := do(headers(session, l), call(i+1, "delete_forecast")); r.status != 200 || !strings.Contains(string(r.body), "deleted Oslo") {
				t.Errorf("%+v straight to the old server: %d %s", l, r.status, r.body)
			}
		}
		if got := direct.Runs(t)["delete_forecast"]; got != len(lies) {
			t.Errorf("delete_forecast ran %d times without the filter, want %d", got, len(lies))
		}
	})

	t.Run("lying client", func(t *testing.T) {
		for _, tr := range []transport{h1, h2TLS} {
			t.Run(string(tr), func(t *testing.T) {
				before := behind.Runs(t)
				do := func(hdr [][2]string, body string) reply {
					return n.do(t, tr, "POST", tr.scheme()+"://tools.example.com/mcp", append(hdr, [2]string{"authorization", "Bearer " + tools}), body)
				}
				session := openSession(t, do)
				for i, l := range lies {
					id := 10 + i
					r := do(headers(session, l), call(id, "delete_forecast"))
					want := `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"error":{"code":-32020,"message":"The Mcp-Method or Mcp-Name header is missing or does not match the JSON-RPC body."}}`
					if r.status != 400 || strings.TrimSpace(string(r.body)) != want {
						t.Errorf("lie %+v: %d %s, want 400 %s", l, r.status, r.body, want)
					}
				}
				for i, h := range honest {
					if r := do(headers(session, h), call(20+i, "get_forecast")); r.status != 200 || !strings.Contains(string(r.body), "sunny in Oslo") {
						t.Errorf("honest %+v: %d %s", h, r.status, r.body)
					}
				}
				got := behind.Runs(t)
				if got["delete_forecast"] != before["delete_forecast"] || got["get_forecast"] != before["get_forecast"]+len(honest) {
					t.Errorf("old server's runs %v, were %v: want delete_forecast unchanged, get_forecast +%d", got, before, len(honest))
				}
			})
		}
	})
	if got, ok := n.metric(t, "audguard.denied.header_mismatch"); !ok || got != uint64(2*len(lies)) {
		t.Errorf("denied.header_mismatch = %d (read %v), want %d", got, ok, 2*len(lies))
	}
}

// openSession opens an MCP session as a 2025-06-18 client does (initialize,
// then notifications/initialized) through do, and returns its id.
func openSession(t testing.TB, do func(hdr [][2]string, body string) reply) string {
	t.Helper()
	base := [][2]string{{"content-type", "application/json"}, {"accept", "application/json, text/event-stream"}}
	r := do(base, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	session := r.header.Get("mcp-session-id")
	if r.status != 200 || session == "" || !strings.Contains(string(r.body), `"protocolVersion":"2025-06-18"`) {
		t.Fatalf("initialize: %d session %q %s", r.status, session, r.body)
	}
	r = do(append(base, [2]string{"mcp-session-id", session}, [2]string{"mcp-protocol-version", "2025-06-18"}),
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if r.status != 202 {
		t.Fatalf("notifications/initialized: %d %s", r.status, r.body)
	}
	return session
}
