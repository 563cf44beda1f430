//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Environment (set by `make e2e`):
//
//	AUDGUARD_E2E_URL        Envoy listener, e.g. http://127.0.0.1:10000 (unset: the test skips)
//	AUDGUARD_E2E_ADMIN_URL  Envoy admin API (default http://127.0.0.1:9902)
//	AUDGUARD_E2E_REQUIRE=1  an unreachable Envoy is a failure, not a skip
var (
	envoyURL *url.URL
	adminURL string
)

const (
	issuer    = "https://auth.example.com"
	resA      = "https://mcp-a.example.com/mcp"
	resB      = "https://mcp-b.example.com/mcp"
	resBRep   = "https://mcp-b.example.com/reports/mcp"
	metaA     = "https://mcp-a.example.com/.well-known/oauth-protected-resource/mcp"
	metaB     = "https://mcp-b.example.com/.well-known/oauth-protected-resource/mcp"
	metaBRep  = "https://mcp-b.example.com/.well-known/oauth-protected-resource/reports/mcp"
	readyWait = 90 * time.Second
)

func TestMain(m *testing.M) {
	raw := os.Getenv("AUDGUARD_E2E_URL")
	if raw == "" {
		fmt.Println("e2e: skipped: AUDGUARD_E2E_URL is not set (run `make e2e`)")
		os.Exit(0)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		fmt.Printf("e2e: AUDGUARD_E2E_URL %q is not a URL\n", raw)
		os.Exit(2)
	}
	envoyURL = u
	adminURL = strings.TrimSuffix(os.Getenv("AUDGUARD_E2E_ADMIN_URL"), "/")
	if adminURL == "" {
		adminURL = "http://127.0.0.1:9902"
	}
	if err := waitReady(); err != nil {
		if os.Getenv("AUDGUARD_E2E_REQUIRE") == "1" {
			fmt.Printf("e2e: FAIL: Envoy at %s not ready: %v\n", raw, err)
			os.Exit(1)
		}
		fmt.Printf("e2e: skipped: Envoy at %s is unreachable (%v)\n", raw, err)
		os.Exit(0)
	}
	if err := waitKeys(); err != nil {
		fmt.Printf("e2e: FAIL: Envoy is up but never fetched the issuer's JWK Set: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// waitReady polls the health route (filter disabled there) until Envoy answers.
func waitReady() error {
	deadline := time.Now().Add(readyWait)
	if os.Getenv("AUDGUARD_E2E_REQUIRE") != "1" {
		// Not started by make e2e: one quick probe decides.
		deadline = time.Now().Add(2 * time.Second)
	}
	var last error
	for time.Now().Before(deadline) {
		resp, err := client("").Get("https://mcp-a.example.com/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("healthz status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(time.Second)
	}
	return last
}

// waitKeys waits for the filter's first good fetch. envoy.yaml's issuer has no
// configured keys: until a fetch of its jwks_uri succeeds (through the TLS
// cluster auth_example_com, from the compose JWKS server) every token gets
// 503 keys_unavailable. The filter's gauge of usable fetched keys tells.
func waitKeys() error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		m, err := readStats()
		if err == nil && m[metricJWKS+"keys"] > 0 {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("no usable fetched keys yet (%s fetch_ok %d, fetch_failed %d)", metricJWKS,
				m[metricJWKS+"fetch_ok"], m[metricJWKS+"fetch_failed"])
		}
		last = err
		time.Sleep(time.Second)
	}
	return last
}

// metricJWKS prefixes the per-issuer key metrics of envoy.yaml's issuer "e2e".
const metricJWKS = "audguard.jwks.e2e."

// envoyTransport sends every request to Envoy over plain HTTP, keeping the
// original host as :authority — as if TLS were terminated in front of Envoy,
// which is how the resource URIs (https) and the listener (http) fit together.
type envoyTransport struct {
	token string // sent as "Authorization: Bearer <token>" when not empty
}

func (t envoyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Host = req.URL.Host
	r.URL.Scheme = envoyURL.Scheme
	r.URL.Host = envoyURL.Host
	if t.token != "" {
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func client(token string) *http.Client {
	return &http.Client{Transport: envoyTransport{token: token}, Timeout: 20 * time.Second}
}

// tokenOpts describes a test access token (RFC 9068 shape by default).
type tokenOpts struct {
	alg    string // RS256 (default) or ES256
	aud    any    // string, []string, or nil for no aud claim
	scope  string // default "mcp:tools"; "-" for none
	typ    string // default "at+jwt"; "-" for none
	expIn  time.Duration
	issuer string
	// signer and kid: sign with this key (ES256 for an *ecdsa.PrivateKey) and
	// kid instead of the TEST-ONLY key files; alg is ignored.
	signer *ecdsa.PrivateKey
	kid    string
}

func mint(t *testing.T, o tokenOpts) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"iss":       issuer,
		"sub":       "e2e-user",
		"client_id": "e2e-client",
		"iat":       now.Unix(),
		"exp":       now.Add(5 * time.Minute).Unix(),
		"jti":       fmt.Sprintf("e2e-%d", now.UnixNano()),
		"scope":     "mcp:tools",
	}
	if o.aud != nil {
		claims["aud"] = o.aud
	}
	if o.scope == "-" {
		delete(claims, "scope")
	} else if o.scope != "" {
		claims["scope"] = o.scope
	}
	if o.expIn != 0 {
		claims["exp"] = now.Add(o.expIn).Unix()
	}
	if o.issuer != "" {
		claims["iss"] = o.issuer
	}
	var (
		tok *jwt.Token
		key any
		err error
	)
	switch {
	case o.signer != nil:
		tok = jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		tok.Header["kid"] = o.kid
		key = o.signer
	case o.alg == "" || o.alg == "RS256":
		tok = jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = "e2e-rsa-1"
		key, err = jwt.ParseRSAPrivateKeyFromPEM(readKey(t, "keys/rsa-test-only.key.pem"))
	case o.alg == "ES256":
		tok = jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		tok.Header["kid"] = "e2e-ec-1"
		key, err = jwt.ParseECPrivateKeyFromPEM(readKey(t, "keys/ec-p256-test-only.key.pem"))
	default:
		t.Fatalf("unsupported alg %s", o.alg)
	}
	if err != nil {
		t.Fatalf("test key: %v", err)
	}
	switch o.typ {
	case "":
		tok.Header["typ"] = "at+jwt"
	case "-":
		delete(tok.Header, "typ")
	default:
		tok.Header["typ"] = o.typ
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func readKey(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// discoverBody is the first request an MCP 2026-07-28 client sends
// (server/discover, SEP-2575), with the per-request _meta that revision
// requires; post sends it with the matching MCP-Protocol-Version and
// Mcp-Method headers, as the SDK client does.
const discoverBody = `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{` + metaFields + `}}}`

// metaFields is the per-request _meta of an MCP 2026-07-28 request.
const metaFields = `"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"audguard-e2e","version":"0"},"io.modelcontextprotocol/clientCapabilities":{}`

// callBody is a 2026-07-28 tools/call of tool with a text argument.
func callBody(tool, text string) string {
	return `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"_meta":{` + metaFields + `},"name":"` + tool + `","arguments":{"text":"` + text + `"}}}`
}

// initializeBody is a legacy (2025-06-18) MCP initialize: no per-request
// metadata headers, so audguard cannot tell which operation it is.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"audguard-e2e","version":"0"}}}`

// post sends an MCP 2026-07-28 server/discover POST to endpoint with token
// (may be empty) and returns the status and WWW-Authenticate header.
func post(t *testing.T, endpoint, token string) (int, string) {
	t.Helper()
	status, challenge, _ := postMCP(t, endpoint, token, discoverBody,
		map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover"})
	return status, challenge
}

// postMCP sends body to endpoint with token (may be empty) and the given
// extra headers, and returns the status, WWW-Authenticate and the body.
func postMCP(t *testing.T, endpoint, token, body string, headers map[string]string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for name, v := range headers {
		req.Header.Set(name, v)
	}
	resp, err := client(token).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), out
}

// exchange is one request an MCP client sent through Envoy and the answer.
type exchange struct {
	version, mcpMethod, mcpName string // the MCP request metadata headers sent
	status                      int
	challenge                   string // WWW-Authenticate
}

// recorder wraps a transport and keeps every exchange.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, exchange{version: req.Header.Get("Mcp-Protocol-Version"), mcpMethod: req.Header.Get("Mcp-Method"),
		mcpName: req.Header.Get("Mcp-Name"), status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate")})
	return resp, nil
}

// find returns the last exchange whose Mcp-Name is name.
func (r *recorder) find(name string) (exchange, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.log) - 1; i >= 0; i-- {
		if r.log[i].mcpName == name {
			return r.log[i], true
		}
	}
	return exchange{}, false
}

// challengeParam extracts an auth-param value from a Bearer challenge (RFC 6750 §3).
func challengeParam(challenge, name string) string {
	i := strings.Index(challenge, name+`="`)
	if i < 0 {
		return ""
	}
	rest := challenge[i+len(name)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// stats returns Envoy's audguard counters keyed by name without the
// "wasmcustom." prefix Envoy adds to Wasm-defined metrics.
func stats(t *testing.T) map[string]uint64 {
	t.Helper()
	out, err := readStats()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readStats is stats without a test: Wasm-defined counters and gauges (a
// negative gauge is left out), "wasmcustom." removed (other names as Envoy
// gives them).
func readStats() (map[string]uint64, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(adminURL + "/stats?format=json&filter=audguard")
	if err != nil {
		return nil, fmt.Errorf("admin /stats: %w", err)
	}
	defer resp.Body.Close()
	var doc struct {
		Stats []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		} `json:"stats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("admin /stats: %w", err)
	}
	out := map[string]uint64{}
	for _, s := range doc.Stats {
		var v uint64
		if s.Name == "" || json.Unmarshal(s.Value, &v) != nil {
			continue
		}
		name := s.Name
		if i := strings.Index(name, "audguard."); i >= 0 && name[:i] == "wasmcustom." {
			name = name[i:]
		}
		out[name] += v
	}
	return out, nil
}

// envoyStat returns one Envoy stat by its exact name (e.g.
// "cluster.mcp_b.upstream_rq_total"), or fails when Envoy does not report it.
func envoyStat(t *testing.T, name string) uint64 {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	q := url.Values{"format": {"json"}, "filter": {"^" + regexp.QuoteMeta(name) + "$"}}
	resp, err := c.Get(adminURL + "/stats?" + q.Encode())
	if err != nil {
		t.Fatalf("admin /stats: %v", err)
	}
	defer resp.Body.Close()
	var doc struct {
		Stats []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		} `json:"stats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("admin /stats: %v", err)
	}
	for _, s := range doc.Stats {
		var v uint64
		if s.Name == name && json.Unmarshal(s.Value, &v) == nil {
			return v
		}
	}
	t.Fatalf("admin /stats: no stat %s", name)
	return 0
}
