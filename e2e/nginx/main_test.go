//go:build e2enginx

package nginx

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/audguard/audguard/internal/mint"
)

// Upstreams and helper modules shared by every test of the binary.
var (
	echoPort, mcpPort, mcpSSEPort, jwksPort, asPort int
	helperModules                                   = map[string]string{} // name → path of the test-only modules
	keys                                            struct{ rs, ec, rsNext *mint.Key }
	mcpCalls                                        = &callCounter{n: map[string]int{}}
	jwks                                            = &jwksServer{status: http.StatusOK}
	as                                              = &authServer{grants: map[string]grant{}}
)

const (
	issuer   = "https://auth.example.com"
	resA     = "https://mcp-a.example.com/mcp"
	resB     = "https://mcp-b.example.com/mcp"
	resTools = "https://tools.example.com/mcp"
	metaA    = "https://mcp-a.example.com/.well-known/oauth-protected-resource/mcp"
	subject  = "user-42"
)

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Println("e2e-nginx: FAIL:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func setup() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	repoRoot = filepath.Clean(filepath.Join(wd, "..", ".."))
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return filepath.Join(repoRoot, def)
	}
	nginxBin = env("AUDGUARD_NGINX", "build/realhost/nginx-pollfix/sbin/nginx")
	nginxStock = env("AUDGUARD_NGINX_STOCK", "build/realhost/nginx/sbin/nginx")
	wasmPath = env("AUDGUARD_WASM", "build/audguard.wasm")
	for _, f := range []string{nginxBin, nginxStock, wasmPath} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s is missing: run `make e2e-nginx` (it builds the host and the module)", f)
		}
	}
	workDir = filepath.Join(repoRoot, "build", "e2e-nginx")
	if err := os.MkdirAll(filepath.Join(workDir, "wasmtime-cache"), 0o755); err != nil {
		return err
	}
	toml := fmt.Sprintf("[cache]\nenabled = true\ndirectory = %q\n", filepath.Join(workDir, "wasmtime-cache"))
	if err := os.WriteFile(filepath.Join(workDir, "wasmtime-cache.toml"), []byte(toml), 0o644); err != nil {
		return err
	}
	if err := writeCerts(workDir); err != nil {
		return err
	}
	for name, pkg := range map[string]string{
		"metrics":     "./e2e/nginx/testdata/metricsreader",
		"noop":        "./bench/testdata/noop",
		"readheaders": "./bench/testdata/readheaders",
	} {
		out := filepath.Join(workDir, name+".wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, pkg)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
		}
		helperModules[name] = out
	}
	if keys.rs, err = mint.NewKey("RS256", "rs-1"); err != nil {
		return err
	}
	if keys.ec, err = mint.NewKey("ES256", "ec-1"); err != nil {
		return err
	}
	if keys.rsNext, err = mint.NewKey("RS256", "rs-2"); err != nil {
		return err
	}
	jwks.keys = []*mint.Key{keys.ec}
	echoPort = serve(http.HandlerFunc(echo))
	mcpPort = serve(newMCPHandler(true))
	mcpSSEPort = serve(newMCPHandler(false))
	jwksPort = serve(jwks)
	asPort = serveTLS(as)
	return nil
}

// serve runs h on a loopback port for the rest of the test binary.
func serve(h http.Handler) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(l) }()
	return l.Addr().(*net.TCPAddr).Port
}

// serveTLS runs h with the test certificate on a loopback port.
func serveTLS(h http.Handler) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		_ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).ServeTLS(l, certFile, keyFile)
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// echoed is what the echo upstream saw.
type echoed struct {
	Method  string              `json:"method"`
	URI     string              `json:"uri"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"` // lower-case names
	Body    string              `json:"body"`
}

// echo answers with the request it received, as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/empty/") {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, _ := io.ReadAll(r.Body)
	e := echoed{Method: r.Method, URI: r.RequestURI, Host: r.Host, Headers: map[string][]string{}, Body: string(body)}
	for k, v := range r.Header {
		e.Headers[strings.ToLower(k)] = v
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(e)
}

type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[name]++
}

func (c *callCounter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

// newMCPHandler is the MCP server behind tools.example.com: the official Go
// SDK's streamable HTTP handler (stateless, so it speaks 2026-07-28 too) with
// a safe tool whose city argument is also a parameter header (x-mcp-header:
// Mcp-Param-City, which the SDK server checks against the body) and a
// dangerous one.
//
// With jsonResponse false it answers POSTs with event streams
// (TestListsOnRealHost).
func newMCPHandler(jsonResponse bool) http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "forecast", Version: "e2e"}, nil)
	schema := map[string]any{"type": "object", "properties": map[string]any{
		"city": map[string]any{"type": "string", "x-mcp-header": "City"}}}
	yes := true
	for _, name := range []string{"get_forecast", "delete_forecast"} {
		tool := &mcp.Tool{Name: name, InputSchema: schema}
		if name == "delete_forecast" {
			tool.Annotations = &mcp.ToolAnnotations{DestructiveHint: &yes}
		}
		s.AddTool(tool, func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			mcpCalls.add(name)
			var in struct{ City string }
			_ = json.Unmarshal(req.Params.Arguments, &in)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name + " " + in.City}}}, nil
		})
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		// The server listens on loopback behind nginx, which sends the client's Host:
		// the SDK's DNS-rebinding guard (for servers reached directly on localhost)
		// would refuse every request.
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: jsonResponse, DisableLocalhostProtection: true})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			http.Error(w, "token passthrough", http.StatusTeapot) // the filter must have removed it
			return
		}
		h.ServeHTTP(w, r)
	})
}

// jwksServer is the issuer's JWK Set endpoint: it rotates, fails and counts.
type jwksServer struct {
	mu      sync.Mutex
	keys    []*mint.Key
	status  int
	fetches int
}

func (j *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fetches++
	if j.status != http.StatusOK {
		http.Error(w, "down", j.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(mint.JWKS(j.keys...))
}

func (j *jwksServer) set(status int, ks ...*mint.Key) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status = status
	if ks != nil {
		j.keys = ks
	}
}

func (j *jwksServer) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fetches
}

// authServer is a minimal OAuth 2.1 authorization server (RFC 8414
// metadata, authorization code with PKCE, RFC 8707 resource) that mints
// RS256 at+jwt tokens for the requested resource and scope.
type authServer struct {
	mu     sync.Mutex
	n      int
	grants map[string]grant
	scopes []string // the scope of each authorization, in order
}

type grant struct{ challenge, resource, scope string }

const (
	clientID    = "e2e-client"
	redirectURL = "http://127.0.0.1/callback"
)

func (a *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.URL.Path == "/.well-known/oauth-authorization-server":
		reply(200, map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
			"token_endpoint": issuer + "/token", "response_types_supported": []string{"code"},
			"grant_types_supported": []string{"authorization_code"}, "code_challenge_methods_supported": []string{"S256"},
			"token_endpoint_auth_methods_supported": []string{"none"}, "authorization_response_iss_parameter_supported": true})
	case r.URL.Path == "/authorize":
		q := r.URL.Query()
		a.n++
		code := "code-" + strconv.Itoa(a.n)
		a.grants[code] = grant{q.Get("code_challenge"), q.Get("resource"), q.Get("scope")}
		a.scopes = append(a.scopes, q.Get("scope"))
		back := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {issuer}}
		http.Redirect(w, r, redirectURL+"?"+back.Encode(), http.StatusFound)
	case r.URL.Path == "/token" && r.Method == http.MethodPost:
		_ = r.ParseForm()
		g, ok := a.grants[r.PostForm.Get("code")]
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || r.PostForm.Get("resource") != g.resource {
			reply(400, map[string]string{"error": "invalid_grant"})
			return
		}
		delete(a.grants, r.PostForm.Get("code"))
		tok := sign(keys.rs, g.resource, map[string]any{"scope": g.scope})
		reply(200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 600, "scope": g.scope})
	default:
		reply(404, map[string]string{"error": "not_found"})
	}
}

func (a *authServer) authorizations() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.scopes...)
}

// sign mints an access token for aud, valid now for 10 minutes, with edits
// applied to the claims (a nil value removes a claim).
func sign(k *mint.Key, aud string, edits map[string]any) string {
	now := time.Now()
	claims := map[string]any{"iss": issuer, "sub": subject, "aud": aud, "exp": now.Add(10 * time.Minute).Unix(),
		"iat": now.Unix(), "nbf": now.Unix(), "scope": "mcp:tools", "client_id": clientID, "jti": strconv.FormatInt(now.UnixNano(), 36)}
	for k, v := range edits {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	tok, err := k.Sign(claims, nil)
	if err != nil {
		panic(err)
	}
	return tok
}

// mustJSON is the compact JSON of v (one nginx parameter: no ' or \).
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(b), `'\`) {
		t.Fatalf("configuration holds ' or \\: %s", b)
	}
	return string(b)
}
