package main

// Per-tool scopes for MCP clients and servers older than 2026-07-28: the
// official MCP Go SDK at v1.1.0 (e2e/oldsdk, a module of its own: one build
// cannot hold it and the root module's v1.8.0), whose client sends
// MCP-Protocol-Version 2025-06-18 at most and never Mcp-Method or Mcp-Name,
// and whose server never compares those headers with the body. The filter
// judges such a client by its JSON-RPC body (mcp_body verify, the default
// for a resource with operations; docs/request-flow.md#the-body).
//
// The old programs are separate processes: the client reaches the filter in
// the emulator through an httptest server (front), and the old server, behind
// the filter, is reached through a reverse proxy. Both runners.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/audguard/audguard/internal/oldsdk"
)

// oldSDKPrograms builds e2e/oldsdk's programs once per test binary into
// build/oldsdk/filter.
func oldSDKPrograms(t testing.TB) (client, server string) {
	return oldsdk.Programs(t, "..", filepath.Join("..", "build", "oldsdk", "filter"))
}

// front serves the world's MCP host on a loopback port for a client in
// another process: each request goes, as https://<its Host><path>, through
// w.RoundTrip (the filter, then the server behind it), and is recorded.
func (w *stepUpWorld) front(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		// A context without this listener's address (http.LocalAddrContextKey):
		// the server behind the filter is not reached on this loopback port,
		// and the SDK v1.8.0 server's DNS rebinding guard would read it so.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		defer context.AfterFunc(r.Context(), cancel)()
		req := r.Clone(ctx)
		req.RequestURI = ""
		req.URL = &url.URL{Scheme: "https", Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := w.RoundTrip(req)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for n, vs := range resp.Header {
			if n != "Content-Length" && n != "Transfer-Encoding" {
				rw.Header()[n] = vs
			}
		}
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(rw, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// behind puts the old server behind the world's filter in place of the SDK
// v1.8.0 server, keeping the Host the filter saw.
func (w *stepUpWorld) behind(s *oldsdk.Server) {
	u, err := url.Parse(s.URL())
	if err != nil {
		panic(err)
	}
	w.server = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host
	}}
}

// mcpPosts is the POSTs to the MCP endpoint since mark.
func (w *stepUpWorld) mcpPosts(mark int) []stepUpHop {
	var out []stepUpHop
	for _, h := range w.since(mark) {
		if h.Method == http.MethodPost && h.URL == resStepUp {
			out = append(out, h)
		}
	}
	return out
}

// TestOldSDKClientStepUp: the client of MCP Go SDK v1.1.0 (2025-06-18, no
// Mcp-Method or Mcp-Name) gets per-tool step-up from the body, in front of
// the SDK v1.8.0 server (in-process) and of the SDK v1.1.0 server (a
// process; stateless, JSON answers: the emulator's path cannot stream an
// open GET): a token with mcp:tools lists the tools and calls get_forecast;
// delete_forecast is refused 403 naming "mcp:tools mcp:admin", by the
// filter, and does not run; a token with mcp:tools mcp:admin calls it.
func TestOldSDKClientStepUp(t *testing.T) {
	k := getKeys(t)
	client, server := oldSDKPrograms(t)
	for _, srv := range []string{"server-v1.8.0", "server-" + oldsdk.Version} {
		for _, r := range runners() {
			t.Run(srv+"/"+r.name, func(t *testing.T) {
				w := newStepUpWorld(t, r, k)
				defer w.h.reset()
				runs := func(_ testing.TB, tool string) int { return w.calls(tool) }
				if srv != "server-v1.8.0" {
					old := oldsdk.StartServer(t, server, "-stateless", "-json")
					w.behind(old)
					runs = func(t testing.TB, tool string) int { return old.Runs(t)[tool] }
				}
				endpoint := w.front(t).URL + "/mcp"
				tools := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools"})
				admin := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools mcp:admin"})
				args := `{"city":"Oslo"}`

				t.Run("mcp:tools: tools listed, get_forecast runs", func(t *testing.T) {
					mark := w.mark()
					steps := oldsdk.RunClient(t, client, oldsdk.Call{URL: endpoint, Host: stepUpHost, Token: tools, Tool: "get_forecast", Args: args})
					oldsdk.WantSteps(t, steps, "", true, true, true)
					if steps[2].Text != "sunny in Oslo" {
						t.Errorf("get_forecast: %q", steps[2].Text)
					}
					posts := w.mcpPosts(mark)
					var rpcs []string
					for _, h := range posts {
						rpcs = append(rpcs, h.RPCMethod)
						if h.By != "upstream" || h.Status/100 != 2 || h.McpMethod != "" || h.McpName != "" {
							t.Errorf("%s", h)
						}
					}
					if !slices.Equal(rpcs, []string{"initialize", "notifications/initialized", "tools/list", "tools/call"}) {
						t.Errorf("POSTs through the filter: %q\n%s", rpcs, w.dump(mark))
					}
					if n := runs(t, "get_forecast"); n != 1 {
						t.Errorf("get_forecast ran %d times, want 1", n)
					}
				})
				t.Run("mcp:tools: delete_forecast refused 403 by the filter", func(t *testing.T) {
					mark := w.mark()
					steps := oldsdk.RunClient(t, client, oldsdk.Call{URL: endpoint, Host: stepUpHost, Token: tools, Tool: "delete_forecast", Args: args})
					oldsdk.WantSteps(t, steps, "", true, true, false)
					call := steps[2]
					if call.Status != 403 || call.WWWAuthenticate != challengeAdmin || !strings.Contains(call.Error, "Forbidden") {
						t.Errorf("call_tool: status %d, WWW-Authenticate %q, SDK error %q; want 403, %q", call.Status, call.WWWAuthenticate, call.Error, challengeAdmin)
					}
					posts := w.mcpPosts(mark)
					last := posts[len(posts)-1]
					if last.RPCMethod != "tools/call" || last.Status != 403 || last.By != "filter" || !slices.Equal(last.WWW, []string{challengeAdmin}) {
						t.Errorf("the refused POST: %s", last)
					}
					if n := runs(t, "delete_forecast"); n != 0 {
						t.Errorf("delete_forecast ran %d times, want 0", n)
					}
				})
				t.Run("mcp:tools mcp:admin: delete_forecast runs", func(t *testing.T) {
					steps := oldsdk.RunClient(t, client, oldsdk.Call{URL: endpoint, Host: stepUpHost, Token: admin, Tool: "delete_forecast", Args: args})
					oldsdk.WantSteps(t, steps, "", true, true, true)
					if steps[2].Text != "deleted Oslo" {
						t.Errorf("delete_forecast: %q", steps[2].Text)
					}
					if n := runs(t, "delete_forecast"); n != 1 {
						t.Errorf("delete_forecast ran %d times, want 1", n)
					}
				})
			})
		}
	}
}

// TestOldSDKServerLyingHeaders: in front of the MCP Go SDK v1.1.0 server,
// which never compares Mcp-Method or Mcp-Name with the body (and, as a lax
// server, serves a request claiming 2026-07-28 from its body too), a client
// with mcp:tools whose headers name get_forecast while its body calls
// delete_forecast is refused by the filter (400, JSON-RPC -32020 with the
// request's id), under MCP-Protocol-Version 2025-06-18 and 2026-07-28, and
// the old server never runs delete_forecast; the honest get_forecast calls
// run. The control: the same lies sent straight to another old server run
// delete_forecast there.
func TestOldSDKServerLyingHeaders(t *testing.T) {
	k := getKeys(t)
	_, server := oldSDKPrograms(t)
	call := func(id int, tool string) []byte {
		return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{"city":"Oslo"}}}`, id, tool)
	}
	type lie struct{ version, method, name string }
	var lies []lie
	for _, v := range []string{"2025-06-18", "2026-07-28"} {
		lies = append(lies, lie{v, "", "get_forecast"}, lie{v, "tools/call", "get_forecast"})
	}

	t.Run("control: without the filter the old server runs the lie", func(t *testing.T) {
		direct := oldsdk.StartServer(t, server, "-stateless", "-json")
		for i, l := range lies {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", direct.URL()+"/mcp", bytes.NewReader(call(i+1, "delete_forecast")))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Mcp-Protocol-Version", l.version)
			if l.method != "" {
				req.Header.Set("Mcp-Method", l.method)
			}
			req.Header.Set("Mcp-Name", l.name)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), "deleted Oslo") {
				t.Errorf("%+v straight to the old server: %d %s", l, resp.StatusCode, b)
			}
		}
		if n := direct.Runs(t)["delete_forecast"]; n != len(lies) {
			t.Errorf("delete_forecast ran %d times without the filter, want %d", n, len(lies))
		}
	})

	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			w := newStepUpWorld(t, r, k)
			defer w.h.reset()
			old := oldsdk.StartServer(t, server, "-stateless", "-json")
			w.behind(old)
			tools := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools"})
			for i, l := range lies {
				id := 10 + i
				t.Run(fmt.Sprintf("lie %s Mcp-Method=%q Mcp-Name=%q", l.version, l.method, l.name), func(t *testing.T) {
					hop := w.raw(t, tools, call(id, "delete_forecast"), l.version, l.method, l.name)
					body := string(hop.RespBody)
					if hop.Status != 400 || hop.By != "filter" || !strings.Contains(body, `"code":-32020`) || !strings.Contains(body, `"id":`+strconv.Itoa(id)) {
						t.Errorf("want the filter's 400 HeaderMismatch with id %d; got %s", id, hop)
					}
				})
			}
			honest := []lie{{"2025-06-18", "", ""}, {"2025-06-18", "tools/call", "get_forecast"}, {"2026-07-28", "tools/call", "get_forecast"}}
			for i, h := range honest {
				t.Run(fmt.Sprintf("honest %s Mcp-Method=%q Mcp-Name=%q", h.version, h.method, h.name), func(t *testing.T) {
					hop := w.raw(t, tools, call(20+i, "get_forecast"), h.version, h.method, h.name)
					if hop.Status != 200 || hop.By != "upstream" || !strings.Contains(string(hop.RespBody), "sunny in Oslo") {
						t.Errorf("want get_forecast run; got %s", hop)
					}
				})
			}
			if got := old.Runs(t); got["delete_forecast"] != 0 || got["get_forecast"] != len(honest) {
				t.Errorf("old server's runs %v, want delete_forecast 0, get_forecast %d", got, len(honest))
			}
		})
	}
}
