package main

// Per-tool scopes (docs/request-flow.md#9-mcp-operation, MCP 2026-07-28 "Request Metadata") with
// real MCP Go SDK code on both sides of the filter, in both runners: an SDK
// client (github.com/modelcontextprotocol/go-sdk, its streamable HTTP client
// transport and its OAuth authorization code handler) talks through the
// filter in the proxytest emulator to an SDK server (mcp.NewServer behind
// mcp.NewStreamableHTTPHandler) with a safe tool and a dangerous one. The
// filter judges by the Mcp-Method/Mcp-Name headers only; the last part shows
// that the SDK server refuses a body that disagrees with them, which is what
// makes judging by the headers safe.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

const (
	resStepUp     = "https://tools.example.com/mcp"
	metaURLStepUp = "https://tools.example.com/.well-known/oauth-protected-resource/mcp"
	metaStepUp    = `resource_metadata="` + metaURLStepUp + `"`
	stepUpHost    = "tools.example.com"
	// challengeAdmin is the exact 403 for delete_forecast with a token that
	// has mcp:tools but not mcp:admin: required_scopes, then the rule's.
	challengeAdmin = `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", ` + metaStepUp +
		`, error_description="The access token lacks a required scope."`
)

// stepUpConfig: one resource, mcp:tools for everything, and mcp:admin on top
// for tools/call of delete_forecast. legacy_protocol is left at its default
// (require_all).
func stepUpConfig(k *testKeys) []byte { return stepUpConfigBody(k, "") }

// stepUpConfigBody is stepUpConfig with mcp_body set ("": its default,
// verify, as the resource has operations).
func stepUpConfigBody(k *testKeys, body string) []byte {
	res := map[string]any{
		"resource": resStepUp, "name": "tools", "authorities": []string{stepUpHost},
		"required_scopes": []string{"mcp:tools"},
		"operations": []map[string]any{
			{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}},
		},
	}
	if body != "" {
		res["mcp_body"] = body
	}
	return mustJSON(map[string]any{
		"mode": "enforce",
		"issuers": []map[string]any{{"name": "corp", "issuer": issCorp,
			"jwks": map[string]any{"keys": []any{k.rs.Public()}}}},
		"resources": []map[string]any{res},
	})
}

// TestMCPStepUpSDK: the SDK client connects (401 → authorization for
// mcp:tools), lists tools and calls get_forecast; delete_forecast gets the
// 403 insufficient_scope challenge, the SDK's handler steps up to
// "mcp:tools mcp:admin" on its own and its retry succeeds.
func TestMCPStepUpSDK(t *testing.T) {
	k := getKeys(t)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			w := newStepUpWorld(t, r, k)
			defer w.h.reset()
			ctx := t.Context()
			handler := w.newHandler(t)
			client := mcp.NewClient(&mcp.Implementation{Name: "stepup-client", Version: "1.0.0"}, nil)
			transport := &mcp.StreamableClientTransport{Endpoint: resStepUp, HTTPClient: w.http, OAuthHandler: handler}

			// Connect: server/discover without a token, the 401, the SDK's
			// authorization for the challenged scope, the retry.
			mark := w.mark()
			cs, err := client.Connect(ctx, transport, nil)
			if err != nil {
				t.Fatalf("Connect: %v\nexchanges:\n%s", err, w.dump(0))
			}
			defer cs.Close()
			if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
				t.Errorf("negotiated protocol version %q, want 2026-07-28", v)
			}
			hops := w.since(mark)
			if len(hops) < 2 || hops[0].Status != 401 || hops[len(hops)-1].Status != 200 {
				t.Fatalf("connect exchanges:\n%s", w.dump(mark))
			}
			if want := []string{`Bearer ` + metaStepUp + `, scope="mcp:tools"`}; !slices.Equal(hops[0].WWW, want) {
				t.Errorf("401 WWW-Authenticate = %q, want %q", hops[0].WWW, want)
			}
			wantSent(t, hops[0], "server/discover", "")
			t.Logf("connect:\n%s", w.dump(mark))
			if f := w.as.authorizeForms; len(f) != 1 || f[0].Get("scope") != "mcp:tools" || f[0].Get("resource") != resStepUp {
				t.Fatalf("authorization requests at connect: %v", f)
			}

			t.Run("tools/list with mcp:tools", func(t *testing.T) {
				mark := w.mark()
				res, err := cs.ListTools(ctx, nil)
				if err != nil {
					t.Fatalf("ListTools: %v\n%s", err, w.dump(mark))
				}
				var names []string
				for _, tool := range res.Tools {
					names = append(names, tool.Name)
				}
				slices.Sort(names)
				if !slices.Equal(names, []string{"delete_forecast", "get_forecast"}) {
					t.Errorf("tools = %q", names)
				}
				hop := w.onlyMCP(t, mark)
				wantSent(t, hop, "tools/list", "")
				if hop.Status != 200 || hop.By != "upstream" {
					t.Errorf("tools/list: %s", hop)
				}
			})

			t.Run("get_forecast with mcp:tools", func(t *testing.T) {
				mark := w.mark()
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_forecast", Arguments: map[string]any{"city": "Oslo"}})
				if err != nil || res.IsError {
					t.Fatalf("CallTool get_forecast: %v %+v\n%s", err, res, w.dump(mark))
				}
				if got := text(res); got != "sunny in Oslo" {
					t.Errorf("result %q", got)
				}
				hop := w.onlyMCP(t, mark)
				wantSent(t, hop, "tools/call", "get_forecast")
				if hop.Status != 200 || hop.By != "upstream" {
					t.Errorf("get_forecast: %s", hop)
				}
			})

			t.Run("delete_forecast: 403, SDK steps up to mcp:admin, retry succeeds", func(t *testing.T) {
				mark, nAuth, nTok := w.mark(), len(w.as.authorizeForms), len(w.as.tokenForms)
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "delete_forecast", Arguments: map[string]any{"city": "Oslo"}})
				if err != nil || res.IsError {
					t.Fatalf("CallTool delete_forecast: %v %+v\n%s", err, res, w.dump(mark))
				}
				if got := text(res); got != "deleted Oslo" {
					t.Errorf("result %q", got)
				}
				if n := w.calls("delete_forecast"); n != 1 {
					t.Errorf("delete_forecast ran %d times, want 1", n)
				}
				got := w.since(mark)
				var summary []string
				for _, h := range got {
					summary = append(summary, h.Method+" "+h.URL+" "+strconv.Itoa(h.Status)+" "+h.By)
				}
				want := []string{
					"POST " + resStepUp + " 403 filter",
					"GET " + metaURLStepUp + " 200 filter",
					"GET https://auth.example.com/.well-known/oauth-authorization-server 200 as",
					"POST https://auth.example.com/token 200 as",
					"POST " + resStepUp + " 200 upstream",
				}
				if !slices.Equal(summary, want) {
					t.Fatalf("exchanges:\n got %q\nwant %q\n%s", summary, want, w.dump(mark))
				}
				denied, retried := got[0], got[4]
				wantSent(t, denied, "tools/call", "delete_forecast")
				wantSent(t, retried, "tools/call", "delete_forecast")
				if !slices.Equal(denied.WWW, []string{challengeAdmin}) {
					t.Errorf("403 WWW-Authenticate = %q, want %q", denied.WWW, challengeAdmin)
				}
				// The SDK's own parser reads the same challenge.
				ch, err := oauthex.ParseWWWAuthenticate(denied.WWW)
				if err != nil || len(ch) != 1 || ch[0].Params["scope"] != "mcp:tools mcp:admin" || ch[0].Params["error"] != "insufficient_scope" {
					t.Errorf("SDK parse of the challenge: %+v, %v", ch, err)
				}
				// The step-up authorization request: the challenged scopes
				// (the SDK unions them with what it had, in map order) and
				// the resource (RFC 8707) from our metadata.
				authz := w.as.only(t, w.as.authorizeForms[nAuth:], "step-up authorization")
				if s := sortedFields(authz.Get("scope")); s != "mcp:admin mcp:tools" {
					t.Errorf("step-up authorization scope = %q", authz.Get("scope"))
				}
				wantForm(t, "step-up authorization request", authz, map[string][]string{"resource": {resStepUp}, "client_id": {mcpClientID}})
				tf := w.as.only(t, w.as.tokenForms[nTok:], "step-up token")
				wantForm(t, "step-up token request", tf, map[string][]string{"resource": {resStepUp}, "grant_type": {"authorization_code"}})
				// The retried request carried a different token than the denied one.
				if denied.Token == "" || denied.Token == retried.Token {
					t.Errorf("retry did not use a new token")
				}

				// And the new token keeps working without another round.
				mark = w.mark()
				if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "delete_forecast", Arguments: map[string]any{"city": "Bergen"}}); err != nil {
					t.Fatalf("second delete_forecast: %v\n%s", err, w.dump(mark))
				}
				if hop := w.onlyMCP(t, mark); hop.Status != 200 {
					t.Errorf("second delete_forecast: %s", hop)
				}
			})

			for _, line := range allLogs(w.h) {
				for _, tok := range w.tokens {
					if strings.Contains(line, lastPart(tok)) {
						t.Errorf("a log line contains token bytes: %q", line)
					}
				}
			}
		})
	}
}

// TestMCPHeaderBodyMismatchSDK: a client that lies in its headers, against
// the MCP Go SDK server (v1.8.0), in both body modes. With mcp_body "off"
// the filter trusts Mcp-Method and Mcp-Name (it never reads the body) and
// the SDK server must refuse a body that disagrees with them (MCP 2026-07-28
// "Server Validation": 400, HeaderMismatch -32020). With mcp_body "verify"
// (the default for a resource with operations) the filter judges the body
// and answers the lie itself, for every protocol revision. Raw POSTs, built
// from the body the SDK client really sends, with a token that has
// mcp:tools but not mcp:admin.
func TestMCPHeaderBodyMismatchSDK(t *testing.T) {
	k := getKeys(t)
	for _, mode := range []string{"off", "verify"} {
		for _, r := range runners() {
			t.Run(mode+"/"+r.name, func(t *testing.T) { headerBodyMismatch(t, r, k, mode) })
		}
	}
}

func headerBodyMismatch(t *testing.T, r runner, k *testKeys, mode string) {
	verify := mode == "verify"
	w := newStepUpWorldWith(t, r, k, stepUpConfigBody(k, mode))
	defer w.h.reset()
	ctx := t.Context()
	client := mcp.NewClient(&mcp.Implementation{Name: "stepup-client", Version: "1.0.0"}, nil)
	transport := &mcp.StreamableClientTransport{Endpoint: resStepUp, HTTPClient: w.http, OAuthHandler: w.newHandler(t)}
	cs, err := client.Connect(ctx, transport, nil)
	if err != nil {
		t.Fatalf("Connect: %v\n%s", err, w.dump(0))
	}
	defer cs.Close()
	mark := w.mark()
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_forecast", Arguments: map[string]any{"city": "Oslo"}}); err != nil {
		t.Fatalf("CallTool get_forecast: %v", err)
	}
	sdkHop := w.onlyMCP(t, mark)
	wantSent(t, sdkHop, "tools/call", "get_forecast")
	// The SDK client's real body for get_forecast, and the same body
	// calling delete_forecast instead (what a lying client sends).
	getBody := sdkHop.Body
	t.Logf("the SDK client's tools/call: %s\nrequest body: %s", sdkHop, getBody)
	deleteBody := renameTool(t, getBody, "delete_forecast")
	tools := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools"})
	admin := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools mcp:admin"})
	w.tokens = append(w.tokens, tools, admin)
	v := "2026-07-28"
	// lie: in verify mode the filter answers 400 HeaderMismatch itself;
	// off, the SDK server does.
	lie := func(t *testing.T, hop stepUpHop, sdkMessage string) {
		t.Helper()
		if !verify {
			wantMismatch(t, hop, sdkMessage)
			return
		}
		if hop.Status != 400 || hop.By != "filter" || !strings.Contains(string(hop.RespBody), `"code":-32020`) || !strings.Contains(string(hop.RespBody), `"id":2`) {
			t.Errorf("want the filter's 400 HeaderMismatch with the request's id; got %s", hop)
		}
	}

	t.Run("honest headers: the filter refuses", func(t *testing.T) {
		hop := w.raw(t, tools, deleteBody, v, "tools/call", "delete_forecast")
		if hop.Status != 403 || hop.By != "filter" || !slices.Equal(hop.WWW, []string{challengeAdmin}) {
			t.Errorf("got %s", hop)
		}
	})
	t.Run("Mcp-Name lies", func(t *testing.T) {
		hop := w.raw(t, tools, deleteBody, v, "tools/call", "get_forecast")
		lie(t, hop, "header mismatch: Mcp-Name header value 'get_forecast' does not match body value 'delete_forecast'")
	})
	t.Run("Mcp-Method lies", func(t *testing.T) {
		hop := w.raw(t, tools, deleteBody, v, "tools/list", "")
		lie(t, hop, "header mismatch: Mcp-Method header value 'tools/list' does not match body value 'tools/call'")
	})
	t.Run("duplicate name keys in the body", func(t *testing.T) {
		// A JSON object with the name twice: the SDK checks Mcp-Name
		// against the same (last) name it then runs; the filter refuses
		// any duplicate on the path to the name.
		dup := func(names string) []byte {
			b := bytes.Replace(getBody, []byte(`"name":"get_forecast"`), []byte(names), 1)
			if bytes.Equal(b, getBody) {
				t.Fatalf("no name in %s", getBody)
			}
			return b
		}
		before := w.calls("get_forecast")
		for _, names := range []string{`"name":"delete_forecast","name":"get_forecast"`, `"name":"get_forecast","name":"delete_forecast"`} {
			hop := w.raw(t, tools, dup(names), v, "tools/call", "get_forecast")
			switch {
			case verify:
				if hop.Status != 400 || hop.By != "filter" || !strings.Contains(string(hop.RespBody), `"code":-32600`) {
					t.Errorf("%s: want the filter's 400; got %s", names, hop)
				}
			case strings.HasSuffix(names, `"get_forecast"`):
				if hop.Status != 200 || hop.By != "upstream" || w.calls("get_forecast") != before+1 {
					t.Errorf("last name get_forecast: want get_forecast run; got %s", hop)
				}
			default:
				wantMismatch(t, hop, "header mismatch: Mcp-Name header value 'get_forecast' does not match body value 'delete_forecast'")
			}
		}
	})
	t.Run("base64 Mcp-Name is not decoded by the SDK server", func(t *testing.T) {
		// MCP 2026-07-28 "Value Encoding" lets a client send any name
		// as =?base64?…?=; the filter decodes it (here: delete_forecast,
		// needs mcp:admin, granted) but SDK v1.8.0 compares the raw
		// header with the body and refuses. Fails closed.
		hop := w.raw(t, admin, deleteBody, v, "tools/call", "=?base64?ZGVsZXRlX2ZvcmVjYXN0?=")
		wantMismatch(t, hop, "header mismatch: Mcp-Name header value '=?base64?ZGVsZXRlX2ZvcmVjYXN0?=' does not match body value 'delete_forecast'")
		hop = w.raw(t, tools, deleteBody, v, "tools/call", "=?base64?ZGVsZXRlX2ZvcmVjYXN0?=")
		if hop.Status != 403 || hop.By != "filter" {
			t.Errorf("encoded delete_forecast with mcp:tools only: %s", hop)
		}
	})
	t.Run("legacy version: the filter does not trust the headers", func(t *testing.T) {
		hop := w.raw(t, tools, deleteBody, "2025-11-25", "tools/call", "get_forecast")
		if verify {
			lie(t, hop, "")
			return
		}
		// Header mode: every rule's scopes needed.
		if hop.Status != 403 || hop.By != "filter" || !slices.Equal(hop.WWW, []string{challengeAdmin}) {
			t.Errorf("got %s", hop)
		}
	})
	t.Run("legacy version without the headers: judged by the body", func(t *testing.T) {
		hop := w.raw(t, tools, deleteBody, "2025-11-25", "", "")
		if hop.Status != 403 || hop.By != "filter" || !slices.Equal(hop.WWW, []string{challengeAdmin}) {
			t.Errorf("got %s", hop)
		}
		// The filter lets get_forecast through (the SDK server then holds
		// the header's version to the body's _meta, its own check).
		hop = w.raw(t, tools, getBody, "2025-11-25", "", "")
		if verify && hop.By != "upstream" {
			t.Errorf("get_forecast with mcp:tools, judged by the body: %s", hop)
		}
	})
	if n := w.calls("delete_forecast"); n != 0 {
		t.Errorf("delete_forecast ran %d times; no request here may run it", n)
	}
}

// wantMismatch: the filter let the request through and the SDK server
// answered 400 with a JSON-RPC HeaderMismatch (-32020) error.
func wantMismatch(t *testing.T, hop stepUpHop, message string) {
	t.Helper()
	if hop.By != "upstream" || hop.Status != http.StatusBadRequest {
		t.Fatalf("want the SDK server's 400; got %s", hop)
	}
	var resp struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(hop.RespBody, &resp); err != nil || resp.Error == nil {
		t.Fatalf("400 body %s: %v", hop.RespBody, err)
	}
	if mcp.CodeHeaderMismatch != -32020 {
		t.Errorf("mcp.CodeHeaderMismatch = %d", mcp.CodeHeaderMismatch)
	}
	if resp.Error.Code != -32020 || resp.Error.Message != message {
		t.Errorf("error %d %q, want -32020 %q", resp.Error.Code, resp.Error.Message, message)
	}
}

// renameTool returns a tools/call body with params.name replaced.
func renameTool(t *testing.T, body []byte, name string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	params, ok := m["params"].(map[string]any)
	if !ok || m["method"] != "tools/call" {
		t.Fatalf("not a tools/call: %s", body)
	}
	params["name"] = name
	return mustJSON(m)
}

func text(res *mcp.CallToolResult) string {
	var out []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			out = append(out, tc.Text)
		}
	}
	return strings.Join(out, "\n")
}

func sortedFields(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}

// wantSent checks the MCP request metadata headers the client sent.
func wantSent(t *testing.T, hop stepUpHop, method, name string) {
	t.Helper()
	if hop.Version != "2026-07-28" || hop.McpMethod != method || hop.McpName != name || hop.RPCMethod != method {
		t.Errorf("sent MCP-Protocol-Version %q, Mcp-Method %q, Mcp-Name %q for a %q body; want 2026-07-28, %q, %q",
			hop.Version, hop.McpMethod, hop.McpName, hop.RPCMethod, method, name)
	}
}

// stepUpWorld is one runner's filter host, fake authorization server (from
// mcp_discovery_test.go), the SDK server, and the transport between them.
type stepUpWorld struct {
	*mcpWorld
	http   *http.Client
	server http.Handler

	mu    sync.Mutex // serialises the emulator, guards hops and ran
	hops  []stepUpHop
	ran   map[string]int
	runMu sync.Mutex

	// respBody: the upstream's response body passes the filter too
	// (CallOnResponseBody, end of stream), and the client gets what the
	// filter left of it (list shaping); else the body goes to the client
	// as the upstream wrote it.
	respBody bool
}

// stepUpHop is one request the client sent and what came back.
type stepUpHop struct {
	Method, URL                            string
	Version, McpMethod, McpName, RPCMethod string // as sent
	Token                                  string
	Body                                   []byte
	Status                                 int
	By                                     string // filter, upstream or as
	WWW                                    []string
	RespBody                               []byte
}

func (h stepUpHop) String() string {
	return fmt.Sprintf("%s %s [v=%q m=%q n=%q rpc=%q] → %d %s www=%q body=%.300s",
		h.Method, h.URL, h.Version, h.McpMethod, h.McpName, h.RPCMethod, h.Status, h.By, h.WWW, h.RespBody)
}

func newStepUpWorld(t *testing.T, r runner, k *testKeys) *stepUpWorld {
	return newStepUpWorldWith(t, r, k, stepUpConfig(k))
}

// newStepUpWorldWith is newStepUpWorld with the filter configuration cfg.
func newStepUpWorldWith(t *testing.T, r runner, k *testKeys, cfg []byte) *stepUpWorld {
	t.Helper()
	mw := &mcpWorld{c: &tctx{now: r.now, keys: k}}
	mw.h = startHost(t, r, cfg, nil, types.OnPluginStartStatusOK)
	mw.as = &fakeAS{w: mw, grants: map[string]*asGrant{}}
	mw.p = &inproc{h: mw.h, as: mw.as} // serves auth.example.com only here
	mw.client = &http.Client{Transport: mw.p}
	w := &stepUpWorld{mcpWorld: mw, ran: map[string]int{}}
	w.http = &http.Client{Transport: w}
	w.server = w.newServer()
	return w
}

type forecastArgs struct {
	City string `json:"city"`
}

// newServer is the MCP server behind the filter: the SDK's streamable HTTP
// handler, stateless (the SDK serves 2026-07-28 only statelessly).
func (w *stepUpWorld) newServer() http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "forecast", Version: "1.0.0"}, nil)
	yes, no := true, false
	mcp.AddTool(s, &mcp.Tool{Name: "get_forecast", Description: "Read a forecast.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, in forecastArgs) (*mcp.CallToolResult, any, error) {
			w.count("get_forecast")
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "sunny in " + in.City}}}, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "delete_forecast", Description: "Delete a forecast.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: false, DestructiveHint: &yes, OpenWorldHint: &no}},
		func(_ context.Context, _ *mcp.CallToolRequest, in forecastArgs) (*mcp.CallToolResult, any, error) {
			w.count("delete_forecast")
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "deleted " + in.City}}}, nil, nil
		})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
}

func (w *stepUpWorld) count(tool string) {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	w.ran[tool]++
}

func (w *stepUpWorld) calls(tool string) int {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	return w.ran[tool]
}

// newHandler is the SDK's authorization code handler whose HTTP client is
// this world's transport (it fetches our metadata through the filter).
func (w *stepUpWorld) newHandler(t *testing.T) *auth.AuthorizationCodeHandler {
	t.Helper()
	return w.newHandlerVia(t, w.http)
}

func (w *stepUpWorld) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.hops)
}

func (w *stepUpWorld) since(mark int) []stepUpHop {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.hops[mark:])
}

func (w *stepUpWorld) dump(mark int) string {
	var b strings.Builder
	for _, h := range w.since(mark) {
		b.WriteString("  " + h.String() + "\n")
	}
	return b.String()
}

// onlyMCP wants exactly one exchange since mark, a POST to the MCP server.
func (w *stepUpWorld) onlyMCP(t *testing.T, mark int) stepUpHop {
	t.Helper()
	hops := w.since(mark)
	if len(hops) != 1 || hops[0].Method != http.MethodPost || hops[0].URL != resStepUp {
		t.Fatalf("want one POST to %s; got\n%s", resStepUp, w.dump(mark))
	}
	return hops[0]
}

// raw sends a hand-made POST through the same path as the SDK client, with
// the headers the SDK client sends.
func (w *stepUpWorld) raw(t *testing.T, token string, body []byte, version, method, name string) stepUpHop {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, resStepUp, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Mcp-Protocol-Version", version)
	if method != "" {
		req.Header.Set("Mcp-Method", method)
	}
	if name != "" {
		req.Header.Set("Mcp-Name", name)
	}
	mark := w.mark()
	resp, err := w.http.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	resp.Body.Close()
	return w.onlyMCP(t, mark)
}

// RoundTrip: auth.example.com goes to the fake authorization server (via
// inproc), tools.example.com through the filter to the SDK server.
func (w *stepUpWorld) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.EqualFold(req.URL.Host, "auth.example.com") {
		resp, err := w.p.RoundTrip(req)
		if err == nil {
			w.mu.Lock()
			w.hops = append(w.hops, stepUpHop{Method: req.Method, URL: req.URL.String(), Status: resp.StatusCode, By: resp.Header.Get("X-Inproc-By")})
			w.mu.Unlock()
		}
		return resp, err
	}
	if req.URL.Scheme != "https" || !strings.EqualFold(req.URL.Host, stepUpHost) {
		return nil, fmt.Errorf("stepup: no in-process server for %s", req.URL.Redacted())
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	hop := stepUpHop{Method: req.Method, URL: req.URL.String(), Body: body,
		Version: req.Header.Get("Mcp-Protocol-Version"), McpMethod: req.Header.Get("Mcp-Method"), McpName: req.Header.Get("Mcp-Name")}
	hop.Token, _ = strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	var rpc struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(body, &rpc) == nil {
		hop.RPCMethod = rpc.Method
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	status, hdr, out, by, err := w.throughFilter(req, body)
	if err != nil {
		return nil, err
	}
	hop.Status, hop.By, hop.WWW, hop.RespBody = status, by, hdr.Values("Www-Authenticate"), out
	w.hops = append(w.hops, hop)
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: hdr,
		Body: io.NopCloser(bytes.NewReader(out)), ContentLength: int64(len(out)), Request: req,
	}, nil
}

// throughFilter runs the request through the filter in the emulator; a
// local reply is the answer, a continued request goes, with the headers the
// filter left, to the SDK server, whose response headers pass the filter too
// (and, with respBody, its body).
func (w *stepUpWorld) throughFilter(req *http.Request, body []byte) (int, http.Header, []byte, string, error) {
	e := w.h.h
	id, status, hdr, data, err := runFilter(e, req, req.URL.Host, body)
	defer e.CompleteHttpContext(id)
	if err != nil || status != 0 {
		return status, hdr, data, "filter", err
	}
	up := e.GetCurrentRequestHeaders(id)
	ureq := httptest.NewRequestWithContext(req.Context(), header(up, ":method"), header(up, ":path"), bytes.NewReader(body))
	ureq.Host = header(up, ":authority")
	for _, kv := range up {
		if !strings.HasPrefix(kv[0], ":") {
			ureq.Header.Add(kv[0], kv[1])
		}
	}
	rec := httptest.NewRecorder()
	w.server.ServeHTTP(rec, ureq)
	res := rec.Result()
	rh := [][2]string{{":status", strconv.Itoa(res.StatusCode)}}
	for n, vs := range res.Header {
		for _, v := range vs {
			rh = append(rh, [2]string{strings.ToLower(n), v})
		}
	}
	e.CallOnResponseHeaders(id, rh, false)
	hdr = http.Header{}
	for _, kv := range e.GetCurrentResponseHeaders(id) {
		if !strings.HasPrefix(kv[0], ":") {
			hdr.Add(kv[0], kv[1])
		}
	}
	out := rec.Body.Bytes()
	if w.respBody {
		if a := e.CallOnResponseBody(id, out, true); a != types.ActionContinue {
			return 0, nil, nil, "", fmt.Errorf("stepup: the filter answered %v to the response body's end", a)
		}
		out = e.GetCurrentResponseBody(id)
	}
	return res.StatusCode, hdr, out, "upstream", nil
}
