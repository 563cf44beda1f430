package main

// An MCP client library nobody here wrote (github.com/modelcontextprotocol/go-sdk)
// checks our challenges (RFC 6750 §3, RFC 9728 §5.1) and metadata documents
// (RFC 9728 §2, §3.3) and runs its whole OAuth flow against the filter, in
// both runners, fully in-process: an http.RoundTripper hands requests for the
// MCP servers to the filter in the proxytest emulator (then to a tiny fake
// upstream), and requests for https://auth.example.com to a fake RFC 8414
// authorization server that mints real tokens for the `resource` it is sent
// (RFC 8707).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

const (
	metaURLA       = "https://mcp-a.example.com/.well-known/oauth-protected-resource/mcp"
	metaURLB       = "https://mcp-b.example.com/.well-known/oauth-protected-resource/mcp"
	mcpClientID    = "inproc-mcp-client"
	mcpRedirectURL = "http://127.0.0.1:33418/callback" // RFC 8252 loopback; never dialled
	asSubject      = "alice"
)

// vhostFor is what Envoy's route table would do: pick the virtual host from
// :authority. The transport sets xds.virtual_host_name before each request.
var vhostFor = map[string]string{"mcp-a.example.com": "vh_a", "mcp-b.example.com": "vh_b"}

// TestMCPClientDiscovery: discovery, authorization, audience binding and
// step-up, as the MCP Go SDK's client performs them, against both runners.
func TestMCPClientDiscovery(t *testing.T) {
	k := getKeys(t)
	cfg := testConfig(k, "enforce", true)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			w := newMCPWorld(t, r, k, cfg)
			defer w.h.reset()
			ctx := t.Context()
			var (
				req401  *http.Request
				resp401 *http.Response
				tokA    string
			)

			t.Run("1 no token: 401 challenge the SDK parses", func(t *testing.T) {
				req401, resp401 = w.post(t, resA, "", nil)
				if resp401.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status = %d, want 401", resp401.StatusCode)
				}
				if got, want := resp401.Header.Values("Www-Authenticate"), []string{`Bearer ` + metaA + `, scope="mcp:tools"`}; !slices.Equal(got, want) {
					t.Errorf("WWW-Authenticate = %q, want %q", got, want)
				}
				wantChallenges(t, resp401, map[string]string{"resource_metadata": metaURLA, "scope": "mcp:tools"})
			})

			t.Run("2 protected resource metadata passes RFC 9728 §3.3", func(t *testing.T) {
				mark := w.p.mark()
				prm, err := oauthex.GetProtectedResourceMetadata(ctx, metaURLA, resA, w.client)
				if err != nil {
					t.Fatalf("GetProtectedResourceMetadata: %v", err)
				}
				wantPRM(t, prm, resA, []string{issCorp}, []string{"mcp:tools", "mcp:resources"})
				if got, want := w.p.since(mark), []string{"GET " + metaURLA + " 200 filter"}; !slices.Equal(got, want) {
					t.Errorf("requests = %q, want %q", got, want)
				}
				// The SDK's resource check is live: A's document is refused for B.
				if _, err := oauthex.GetProtectedResourceMetadata(ctx, metaURLA, resB, w.client); err == nil {
					t.Errorf("A's metadata accepted as B's")
				}
			})

			t.Run("3 authorization code flow learns resource and scope from us", func(t *testing.T) {
				if resp401 == nil {
					t.Fatal("no 401 from step 1")
				}
				h := w.newHandler(t)
				mark, nAuth, nTok := w.p.mark(), len(w.as.authorizeForms), len(w.as.tokenForms)
				if err := h.Authorize(ctx, req401, resp401); err != nil {
					t.Fatalf("Authorize: %v", err)
				}
				// Exactly these requests: no fallback to the MCP server as its own
				// authorization server, no guessed metadata URL.
				want := []string{
					"GET " + metaURLA + " 200 filter",
					"GET https://auth.example.com/.well-known/oauth-authorization-server 200 as",
					"GET https://auth.example.com/authorize 302 as",
					"POST https://auth.example.com/token 200 as",
				}
				if got := w.p.since(mark); !slices.Equal(got, want) {
					t.Errorf("requests:\n got %q\nwant %q", got, want)
				}
				authz := w.as.only(t, w.as.authorizeForms[nAuth:], "authorization")
				wantForm(t, "authorization request", authz, map[string][]string{
					"resource": {resA}, "scope": {"mcp:tools"}, "client_id": {mcpClientID},
					"response_type": {"code"}, "code_challenge_method": {"S256"}, "redirect_uri": {mcpRedirectURL},
				})
				tf := w.as.only(t, w.as.tokenForms[nTok:], "token")
				wantForm(t, "token request", tf, map[string][]string{
					"resource": {resA}, "grant_type": {"authorization_code"}, "redirect_uri": {mcpRedirectURL},
				})
				// golang.org/x/oauth2 sends no scope on the code exchange
				// (RFC 6749 §4.1.3); if it ever does, it must be the challenged one.
				if s, ok := tf["scope"]; ok && !slices.Equal(s, []string{"mcp:tools"}) {
					t.Errorf("token request scope = %q", s)
				}
				tokA = w.token(t, h, "mcp:tools")

				_, resp := w.post(t, resA, tokA, http.Header{"X-Mcp-Subject": {"admin"}})
				echo := wantUpstream(t, resp)
				if want := (upstreamEcho{Path: "/mcp", Subject: asSubject, ClientID: mcpClientID, Scope: "mcp:tools"}); echo != want {
					t.Errorf("upstream saw %+v, want %+v", echo, want)
				}
			})

			t.Run("4 A's token is useless at B", func(t *testing.T) {
				if tokA == "" {
					t.Fatal("no token from step 3")
				}
				req, resp := w.post(t, resB, tokA, nil)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status = %d, want 401", resp.StatusCode)
				}
				if got, want := resp.Header.Values("Www-Authenticate"), []string{invalidToken(dAud, metaB)}; !slices.Equal(got, want) {
					t.Errorf("WWW-Authenticate = %q, want %q", got, want)
				}
				wantChallenges(t, resp, map[string]string{"error": "invalid_token", "error_description": dAud, "resource_metadata": metaURLB})
				prm, err := oauthex.GetProtectedResourceMetadata(ctx, metaURLB, resB, w.client)
				if err != nil {
					t.Fatalf("GetProtectedResourceMetadata(B): %v", err)
				}
				// B accepts both issuers (docs/configuration.md default); the SDK takes the first.
				wantPRM(t, prm, resB, []string{issCorp, issPart}, nil)

				// The SDK recovers by authorizing again, now for B's resource.
				h := w.newHandler(t)
				nTok := len(w.as.tokenForms)
				if err := h.Authorize(ctx, req, resp); err != nil {
					t.Fatalf("Authorize at B: %v", err)
				}
				tf := w.as.only(t, w.as.tokenForms[nTok:], "token")
				wantForm(t, "token request at B", tf, map[string][]string{"resource": {resB}})
				tokB := w.token(t, h, "")
				_, resp = w.post(t, resB, tokB, nil)
				if echo := wantUpstream(t, resp); echo != (upstreamEcho{Path: "/mcp"}) {
					t.Errorf("upstream at B saw %+v", echo)
				}
				// And the other way round.
				if _, resp := w.post(t, resA, tokB, nil); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("B's token at A: status %d, want 401", resp.StatusCode)
				}
			})

			t.Run("5 step-up on insufficient_scope", func(t *testing.T) {
				narrow := w.c.rs(resA, map[string]any{"scope": "mcp:resources"})
				w.tokens = append(w.tokens, narrow)
				req, resp := w.post(t, resA, narrow, nil)
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("status = %d, want 403", resp.StatusCode)
				}
				want := `Bearer error="insufficient_scope", scope="mcp:tools", ` + metaA + `, error_description="` + dScope + `"`
				if got := resp.Header.Values("Www-Authenticate"); !slices.Equal(got, []string{want}) {
					t.Errorf("WWW-Authenticate = %q, want %q", got, want)
				}
				wantChallenges(t, resp, map[string]string{"error": "insufficient_scope", "scope": "mcp:tools",
					"resource_metadata": metaURLA, "error_description": dScope})

				h := w.newHandler(t)
				nAuth := len(w.as.authorizeForms)
				if err := h.Authorize(ctx, req, resp); err != nil {
					t.Fatalf("step-up Authorize: %v", err)
				}
				authz := w.as.only(t, w.as.authorizeForms[nAuth:], "authorization")
				wantForm(t, "step-up authorization request", authz, map[string][]string{"scope": {"mcp:tools"}, "resource": {resA}})
				_, resp = w.post(t, resA, w.token(t, h, "mcp:tools"), nil)
				if echo := wantUpstream(t, resp); echo.Scope != "mcp:tools" || echo.Subject != asSubject {
					t.Errorf("upstream after step-up saw %+v", echo)
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

// mcpWorld is one runner's filter host, fake authorization server and the
// in-process HTTP client the SDK uses.
type mcpWorld struct {
	h      *host
	c      *tctx
	as     *fakeAS
	p      *inproc
	client *http.Client
	tokens []string // every token minted, to check the logs
}

func newMCPWorld(t *testing.T, r runner, k *testKeys, cfg []byte) *mcpWorld {
	t.Helper()
	w := &mcpWorld{c: &tctx{now: r.now, keys: k}}
	w.h = startHost(t, r, cfg, map[string]string{"vhost": "vh_a"}, types.OnPluginStartStatusOK)
	w.as = &fakeAS{w: w, grants: map[string]*asGrant{}}
	w.p = &inproc{h: w.h, as: w.as}
	w.client = &http.Client{Transport: w.p}
	return w
}

// newHandler is the SDK's authorization code handler with a preregistered
// public client bound to our issuer, and no browser.
func (w *mcpWorld) newHandler(t *testing.T) *auth.AuthorizationCodeHandler {
	t.Helper()
	return w.newHandlerVia(t, w.client)
}

// newHandlerVia is newHandler whose HTTP client (metadata and token
// requests) is client.
func (w *mcpWorld) newHandlerVia(t *testing.T, client *http.Client) *auth.AuthorizationCodeHandler {
	t.Helper()
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		PreregisteredClient:      &oauthex.ClientCredentials{ClientID: mcpClientID, Issuer: issCorp},
		RedirectURL:              mcpRedirectURL,
		AuthorizationCodeFetcher: w.fetchCode,
		Client:                   client,
	})
	if err != nil {
		t.Fatalf("NewAuthorizationCodeHandler: %v", err)
	}
	return h
}

// fetchCode plays the user agent: it follows the authorization URL to the
// fake authorization server and reads code, state and iss (RFC 9207) off the
// redirect, without following it.
func (w *mcpWorld) fetchCode(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args.URL, nil)
	if err != nil {
		return nil, err
	}
	noFollow := &http.Client{Transport: w.p, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("authorization endpoint answered %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	q := loc.Query()
	loc.RawQuery = ""
	if loc.String() != mcpRedirectURL || q.Get("error") != "" {
		return nil, fmt.Errorf("authorization failed: redirect to %s, error %q", loc, q.Get("error"))
	}
	return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
}

// token returns the handler's access token, checking the granted scope the
// token response reported.
func (w *mcpWorld) token(t *testing.T, h *auth.AuthorizationCodeHandler, wantScope string) string {
	t.Helper()
	ts, err := h.TokenSource(t.Context())
	if err != nil || ts == nil {
		t.Fatalf("TokenSource: %v (nil %v)", err, ts == nil)
	}
	tok, err := ts.Token()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("Token: %v", err)
	}
	if wantScope != "" && tok.Extra("scope") != wantScope {
		t.Errorf("granted scope = %v, want %q", tok.Extra("scope"), wantScope)
	}
	return tok.AccessToken
}

// post sends an MCP-like JSON-RPC POST (Streamable HTTP) with an optional
// bearer token and extra headers.
func (w *mcpWorld) post(t *testing.T, target, token string, extra http.Header) (*http.Request, *http.Response) {
	t.Helper()
	rpc := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(rpc))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	for name, vs := range extra {
		req.Header[name] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	return req, resp
}

// wantChallenges parses WWW-Authenticate with the SDK and wants exactly one
// Bearer challenge with exactly these parameters.
func wantChallenges(t *testing.T, resp *http.Response, params map[string]string) {
	t.Helper()
	cs, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("Www-Authenticate"))
	if err != nil {
		t.Fatalf("ParseWWWAuthenticate: %v", err)
	}
	want := []oauthex.Challenge{{Scheme: "bearer", Params: params}}
	if !reflect.DeepEqual(cs, want) {
		t.Errorf("challenges = %+v, want %+v", cs, want)
	}
}

func wantPRM(t *testing.T, prm *oauthex.ProtectedResourceMetadata, resource string, servers, scopes []string) {
	t.Helper()
	want := oauthex.ProtectedResourceMetadata{Resource: resource, AuthorizationServers: servers,
		ScopesSupported: scopes, BearerMethodsSupported: []string{"header"}}
	if !reflect.DeepEqual(*prm, want) {
		t.Errorf("metadata = %+v, want %+v", *prm, want)
	}
}

func wantForm(t *testing.T, what string, form url.Values, want map[string][]string) {
	t.Helper()
	for name, v := range want {
		if !slices.Equal(form[name], v) {
			t.Errorf("%s: %s = %q, want %q", what, name, form[name], v)
		}
	}
}

// upstreamEcho is what the fake MCP upstream reports about a request the
// filter let through.
type upstreamEcho struct {
	Path          string `json:"path"`
	Authorization bool   `json:"authorization"`
	Subject       string `json:"subject"`
	ClientID      string `json:"client_id"`
	Scope         string `json:"scope"`
}

func wantUpstream(t *testing.T, resp *http.Response) upstreamEcho {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("X-Inproc-By") != "upstream" {
		t.Fatalf("want the upstream's 200; got %d from %q: %s (WWW-Authenticate %q)", resp.StatusCode,
			resp.Header.Get("X-Inproc-By"), b, resp.Header.Get("Www-Authenticate"))
	}
	var e upstreamEcho
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("upstream body %s: %v", b, err)
	}
	return e
}

// inproc is an http.RoundTripper serving everything in-process. It is
// serialised: the emulator is global and one-at-a-time.
type inproc struct {
	h   *host
	as  *fakeAS
	mu  sync.Mutex
	log []string // "METHOD scheme://host/path status by"
}

func (p *inproc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.log)
}

func (p *inproc) since(mark int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log[mark:])
}

func (p *inproc) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var (
		status int
		hdr    http.Header
		out    []byte
		by     string
		err    error
	)
	host := strings.ToLower(req.URL.Host)
	switch {
	case req.URL.Scheme != "https":
		err = fmt.Errorf("inproc: refusing %s", req.URL.Redacted())
	case host == "auth.example.com":
		status, hdr, out = p.as.serve(req, body)
		by = "as"
	case vhostFor[host] != "":
		status, hdr, out, by, err = p.throughFilter(req, body)
	default:
		err = fmt.Errorf("inproc: no in-process server for %q", req.URL.Host)
	}
	if err != nil {
		return nil, err
	}
	hdr.Set("X-Inproc-By", by)
	p.log = append(p.log, fmt.Sprintf("%s %s://%s%s %d %s", req.Method, req.URL.Scheme, req.URL.Host, req.URL.Path, status, by))
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: hdr,
		Body: io.NopCloser(bytes.NewReader(out)), ContentLength: int64(len(out)), Request: req,
	}, nil
}

// throughFilter runs the request through the filter in the emulator. A local
// reply becomes the response; a continued request reaches the fake upstream,
// which echoes what arrived.
func (p *inproc) throughFilter(req *http.Request, body []byte) (int, http.Header, []byte, string, error) {
	e := p.h.h
	if err := e.SetProperty([]string{"xds", "virtual_host_name"}, []byte(vhostFor[strings.ToLower(req.URL.Host)])); err != nil {
		return 0, nil, nil, "", err
	}
	authority := req.Host
	if authority == "" {
		authority = req.URL.Host
	}
	id, status, hdr, data, err := runFilter(e, req, authority, body)
	defer e.CompleteHttpContext(id)
	if err != nil || status != 0 {
		return status, hdr, data, "filter", err
	}
	up := e.GetCurrentRequestHeaders(id)
	echo := upstreamEcho{Path: header(up, ":path"), Subject: header(up, "x-mcp-subject"),
		ClientID: header(up, "x-mcp-client-id"), Scope: header(up, "x-mcp-scope")}
	_, echo.Authorization = lookup(up, "authorization")
	e.CallOnResponseHeaders(id, [][2]string{{":status", "200"}, {"content-type", "application/json"}}, false)
	return http.StatusOK, http.Header{"Content-Type": {"application/json"}}, mustJSON(echo), "upstream", nil
}

// fakeAS is an authorization server (RFC 8414 metadata, RFC 6749 code grant
// with RFC 7636 S256 PKCE, RFC 8707 resource, RFC 9207 iss) that mints real
// RS256 access tokens whose aud is the `resource` it received.
type fakeAS struct {
	w              *mcpWorld
	grants         map[string]*asGrant
	n              int
	authorizeForms []url.Values
	tokenForms     []url.Values
}

type asGrant struct {
	clientID, redirectURI, challenge, resource, scope string
	used                                              bool
}

// only returns the one form recorded since a step began.
func (a *fakeAS) only(t *testing.T, forms []url.Values, what string) url.Values {
	t.Helper()
	if len(forms) != 1 {
		t.Fatalf("%d %s requests, want 1", len(forms), what)
	}
	return forms[0]
}

func (a *fakeAS) serve(req *http.Request, body []byte) (int, http.Header, []byte) {
	switch {
	case req.Method == http.MethodGet && req.URL.Path == "/.well-known/oauth-authorization-server":
		return asJSON(http.StatusOK, map[string]any{
			"issuer":                                         issCorp,
			"authorization_endpoint":                         issCorp + "/authorize",
			"token_endpoint":                                 issCorp + "/token",
			"response_types_supported":                       []string{"code"},
			"grant_types_supported":                          []string{"authorization_code"},
			"code_challenge_methods_supported":               []string{"S256"},
			"token_endpoint_auth_methods_supported":          []string{"none"},
			"scopes_supported":                               []string{"mcp:tools", "mcp:resources"},
			"authorization_response_iss_parameter_supported": true,
		})
	case req.Method == http.MethodGet && req.URL.Path == "/authorize":
		return a.authorize(req.URL.Query())
	case req.Method == http.MethodPost && req.URL.Path == "/token":
		return a.token(req, body)
	}
	return asJSON(http.StatusNotFound, map[string]string{"error": "not_found"})
}

func (a *fakeAS) authorize(q url.Values) (int, http.Header, []byte) {
	a.authorizeForms = append(a.authorizeForms, q)
	// RFC 6749 §4.1.2.1: never redirect to an unverified redirect_uri.
	if q.Get("client_id") != mcpClientID || q.Get("redirect_uri") != mcpRedirectURL {
		return asJSON(http.StatusBadRequest, map[string]string{"error": "invalid_request"})
	}
	back := url.Values{"state": {q.Get("state")}, "iss": {issCorp}}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" || len(q["resource"]) != 1 {
		back.Set("error", "invalid_request")
	} else {
		a.n++
		code := "code-" + strconv.Itoa(a.n)
		a.grants[code] = &asGrant{clientID: mcpClientID, redirectURI: mcpRedirectURL,
			challenge: q.Get("code_challenge"), resource: q.Get("resource"), scope: q.Get("scope")}
		back.Set("code", code)
	}
	return http.StatusFound, http.Header{"Location": {mcpRedirectURL + "?" + back.Encode()}}, nil
}

func (a *fakeAS) token(req *http.Request, body []byte) (int, http.Header, []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return asJSON(http.StatusBadRequest, map[string]string{"error": "invalid_request"})
	}
	a.tokenForms = append(a.tokenForms, form)
	clientID := form.Get("client_id")
	if u, _, ok := req.BasicAuth(); ok {
		clientID, _ = url.QueryUnescape(u)
	}
	g := a.grants[form.Get("code")]
	verifier := sha256.Sum256([]byte(form.Get("code_verifier")))
	bad := ""
	switch {
	case form.Get("grant_type") != "authorization_code":
		bad = "unsupported_grant_type"
	case g == nil || g.used || g.clientID != clientID || g.redirectURI != form.Get("redirect_uri"):
		bad = "invalid_grant"
	case base64.RawURLEncoding.EncodeToString(verifier[:]) != g.challenge: // RFC 7636 §4.6
		bad = "invalid_grant"
	case len(form["resource"]) != 1 || form.Get("resource") != g.resource: // RFC 8707 §2.2
		bad = "invalid_target"
	}
	if bad != "" {
		return asJSON(http.StatusBadRequest, map[string]string{"error": bad})
	}
	g.used = true
	c := a.w.c
	tok := c.sign(c.keys.rs, c.claims(form.Get("resource"), map[string]any{"sub": asSubject, "client_id": clientID, "scope": g.scope}), nil)
	a.w.tokens = append(a.w.tokens, tok)
	return asJSON(http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 600, "scope": g.scope})
}

func asJSON(status int, v any) (int, http.Header, []byte) {
	return status, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}, mustJSON(v)
}
