//go:build e2enginx

package nginx

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestListsOnRealHost: list shaping (docs/request-flow.md#lists) on
// ngx_wasm_module, which hands response bodies to on_response_body in
// chunks: a tools/list through nginx to the MCP SDK server lists, for a
// read-only token, only the tool it may call, and for the admin token
// both; answered as application/json (StreamableHTTPOptions.JSONResponse)
// and as an event stream, over HTTP/1.1 and HTTP/2.
func TestListsOnRealHost(t *testing.T) {
	const resSSE = "https://sse.example.com/mcp"
	ops := map[string]any{"operations": []any{map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}}}
	cfg := mustJSON(t, map[string]any{
		"mode": "enforce", "authority_from": "host",
		"issuers": []any{map[string]any{"name": "corp", "issuer": issuer,
			"jwks": map[string]any{"keys": []any{keys.rs.Public()}}}},
		"resources": []any{resource(resTools, "tools.example.com", "tools", ops), resource(resSSE, "sse.example.com", "sse", ops)},
	})
	n := startNginx(t, nginxBin, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}),
		httpExtra: fmt.Sprintf("upstream mcpsse { server 127.0.0.1:%d; keepalive 8; }", mcpSSEPort),
		servers: []server{
			{names: []string{"tools.example.com"}, module: "audguard", config: cfg, upstream: "mcp"},
			{names: []string{"sse.example.com"}, module: "audguard", config: cfg, upstream: "mcpsse"},
			{names: []string{"metrics.test"}, module: "metrics"},
		}})
	defer n.checkHealthy(t)
	list := func(t *testing.T, tr transport, host, token string, id int) []string {
		t.Helper()
		h := [][2]string{{"authorization", "Bearer " + token}, {"content-type", "application/json"},
			{"accept", "application/json, text/event-stream"}, {"mcp-protocol-version", "2025-06-18"}}
		r := n.do(t, tr, "POST", tr.scheme()+"://"+host+"/mcp", h, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`, id))
		if r.status != 200 {
			t.Fatalf("tools/list: %d %s", r.status, r.body)
		}
		body := r.body
		if strings.HasPrefix(r.header.Get("content-type"), "text/event-stream") {
			body = nil
			for _, line := range strings.Split(string(r.body), "\n") {
				if d, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(d, `"result"`) {
					body = []byte(d)
				}
			}
		}
		var m struct {
			ID     int `json:"id"`
			Result struct {
				Tools []struct{ Name string } `json:"tools"`
			} `json:"result"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.ID != id {
			t.Fatalf("tools/list answer (%s): %v: %s", r.header.Get("content-type"), err, r.body)
		}
		var names []string
		for _, tl := range m.Result.Tools {
			names = append(names, tl.Name)
		}
		slices.Sort(names)
		return names
	}
	for _, c := range []struct{ host, res, ctype string }{
		{"tools.example.com", resTools, "json"}, {"sse.example.com", resSSE, "sse"},
	} {
		for _, tr := range []transport{h1, h2TLS} {
			t.Run(c.ctype+"/"+string(tr), func(t *testing.T) {
				readOnly := sign(keys.rs, c.res, nil)
				admin := sign(keys.rs, c.res, map[string]any{"scope": "mcp:tools mcp:admin"})
				if got := list(t, tr, c.host, readOnly, 3); !slices.Equal(got, []string{"get_forecast"}) {
					t.Errorf("read-only token lists %q, want only get_forecast", got)
				}
				if got := list(t, tr, c.host, admin, 4); !slices.Equal(got, []string{"delete_forecast", "get_forecast"}) {
					t.Errorf("admin token lists %q, want both tools", got)
				}
			})
		}
	}
	for _, name := range []string{"tools", "sse"} {
		if got, ok := n.metric(t, "audguard.resource."+name+".list_removed"); !ok || got != 2 {
			t.Errorf("resource.%s.list_removed = %d (%v), want 2", name, got, ok)
		}
	}
	if got, ok := n.metric(t, "audguard.list_unshaped"); ok && got != 0 {
		t.Errorf("list_unshaped = %d, want 0", got)
	}
}
