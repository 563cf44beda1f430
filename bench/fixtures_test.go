package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/audguard/audguard/internal/mint"
)

// Fixed names of the benchmark configuration.
const (
	resMain   = "https://mcp.example.com/mcp"
	authMain  = "mcp.example.com"
	issCorp   = "https://auth.example.com"
	issHS     = "https://hs.example.com"
	scopeMain = "mcp:tools"
)

// algs are the algorithms benchmarked, in table order.
var algs = []string{"RS256", "PS256", "ES256", "EdDSA", "HS256"}

// wasmEpoch is what a module's clock reads under proxytest.NewWasmVMContext
// (wazero's fake walltime). Tokens are valid from before it until a month
// after the real now, so one token works natively and in the module.
var wasmEpoch = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

// benchKey is a signing key with its public half in the forms each verifier
// wants.
type benchKey struct {
	alg    string
	mint   *mint.Key
	public any // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or []byte (HS256)
}

var (
	keysOnce sync.Once
	keySet   map[string]*benchKey
)

// keys returns one key per algorithm, generated once per test binary.
func keys() map[string]*benchKey {
	keysOnce.Do(func() {
		keySet = map[string]*benchKey{}
		for _, alg := range algs {
			keySet[alg] = newBenchKey(alg, kidFor(alg))
		}
	})
	return keySet
}

func kidFor(alg string) string { return strings.ToLower(alg[:2]) + "-1" }

func newBenchKey(alg, kid string) *benchKey {
	k := &benchKey{alg: alg}
	switch alg {
	case "RS256", "PS256":
		p, err := rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		k.mint, k.public = mint.FromSigner(alg, kid, p), &p.PublicKey
	case "ES256":
		p, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		k.mint, k.public = mint.FromSigner(alg, kid, p), &p.PublicKey
	case "EdDSA":
		_, p, err := ed25519.GenerateKey(rand.Reader)
		must(err)
		k.mint, k.public = mint.FromSigner(alg, kid, p), p.Public()
	case "HS256":
		m, err := mint.NewKey(alg, kid)
		must(err)
		secret, err := base64.RawURLEncoding.DecodeString(m.Public()["k"].(string))
		must(err)
		k.mint, k.public = m, secret
	default:
		panic("bench: no key for " + alg)
	}
	return k
}

// claims are a valid RFC 9068 access token's claims for the main resource;
// jti makes tokens distinct.
func claims(iss string, jti int) map[string]any {
	return map[string]any{
		"iss": iss, "sub": "user-1", "client_id": "client-1", "aud": resMain,
		"scope": scopeMain + " mcp:resources", "iat": wasmEpoch.Unix() - 60,
		"exp": time.Now().Add(30 * 24 * time.Hour).Unix(), "jti": fmt.Sprintf("id-%d", jti),
	}
}

func issuerFor(alg string) string {
	if alg == "HS256" {
		return issHS
	}
	return issCorp
}

// token signs one token for alg with the given jti.
func token(k *benchKey, jti int) string {
	s, err := k.mint.Sign(claims(issuerFor(k.alg), jti), nil)
	must(err)
	return s
}

var (
	poolMu sync.Mutex
	pools  = map[string][]string{}
)

// tokenPool returns n distinct tokens for alg (jti 0..n-1), minted once and
// reused by every benchmark of the binary.
func tokenPool(alg string, n int) []string {
	poolMu.Lock()
	defer poolMu.Unlock()
	p := pools[alg]
	k := keys()[alg]
	for len(p) < n {
		p = append(p, token(k, len(p)))
	}
	pools[alg] = p
	return p[:n]
}

// configOptions shape the benchmark configuration.
type configOptions struct {
	resources int // total resources, the main one included (≥ 1)
	hsKeys    int // oct keys of the HS256 issuer (≥ 1); the token uses the last
	// maxTokenBytes is max_token_bytes; 0 leaves the default.
	maxTokenBytes int
	// operations > 0 gives the main resource that many MCP operation rules
	// (tools/call per tool name, the last one for every name) and a
	// scope_implies chain the rules' scopes go through.
	operations int
	// remoteKeys: issuer "corp" takes its keys from jwks_uri instead of
	// jwks; the benchmark answers the first fetch with remoteJWKS.
	remoteKeys bool
	// sharedSlots is shared_cache_slots and cacheSize cache_size; 0 leaves
	// the defaults.
	sharedSlots, cacheSize int
	// mcpBody is the main resource's mcp_body ("verify" or "off"); ""
	// leaves the fixture's (off with operations: the header rules).
	mcpBody string
}

// remoteJWKSURI is where issuer "corp" fetches its keys with remoteKeys.
const remoteJWKSURI = "https://auth.example.com/jwks.json"

// remoteJWKS is the JWK Set the benchmarks answer the fetch with: the same
// keys the configured set has.
func remoteJWKS() []byte {
	ks := keys()
	var set []any
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		set = append(set, ks[alg].mint.Public())
	}
	b, err := json.Marshal(map[string]any{"keys": set})
	must(err)
	return b
}

// operationRules returns n operation rules for the main resource: tools
// tool-0 … tool-(n-2) each need "mcp:read" (which the token's scope grants
// through scope_implies), and tools/call for any other name needs
// "mcp:write" (which it does not).
func operationRules(n int) []any {
	var ops []any
	for i := 0; i < n-1; i++ {
		ops = append(ops, map[string]any{"method": "tools/call", "name": fmt.Sprintf("tool-%d", i), "scopes": []string{"mcp:read"}})
	}
	return append(ops, map[string]any{"method": "tools/call", "scopes": []string{"mcp:write"}})
}

// hsKid names the i-th HS256 key; key 0 is the benchmark key.
func hsKid(i int) string {
	if i == 0 {
		return kidFor("HS256")
	}
	return fmt.Sprintf("hs-extra-%d", i)
}

// pluginConfig builds the plugin configuration (docs/configuration.md): issuer "corp" with
// the RS256, PS256, ES256 and EdDSA keys; issuer "hs" with HS256 keys; the
// main resource accepting both, one required scope and one claim header; and
// resources-1 further resources matched by authority.
func pluginConfig(o configOptions) []byte {
	ks := keys()
	var corp []any
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		corp = append(corp, ks[alg].mint.Public())
	}
	hs := make([]any, 0, o.hsKeys)
	for i := o.hsKeys - 1; i >= 1; i-- { // the benchmark key last in the set
		m, err := mint.NewKey("HS256", hsKid(i))
		must(err)
		hs = append(hs, m.Public())
	}
	hs = append(hs, ks["HS256"].mint.Public())
	resources := []any{map[string]any{
		"resource": resMain, "authorities": []string{authMain}, "issuers": []string{"corp", "hs"},
		"required_scopes": []string{scopeMain}, "claim_headers": map[string]string{"sub": "x-mcp-subject"},
	}}
	if o.operations > 0 {
		main := resources[0].(map[string]any)
		main["operations"] = operationRules(o.operations)
		main["mcp_body"] = "off" // the header rules: what the round-two target measured; the body pass has its own rows
		main["scope_implies"] = map[string][]string{
			"mcp:admin": {"mcp:write"}, "mcp:write": {scopeMain}, scopeMain: {"mcp:list"}, "mcp:list": {"mcp:read"},
		}
	}
	if o.mcpBody != "" {
		resources[0].(map[string]any)["mcp_body"] = o.mcpBody
	}
	for i := 1; i < o.resources; i++ {
		resources = append(resources, map[string]any{
			"resource": fmt.Sprintf("https://r%d.example.com/mcp", i), "authorities": []string{fmt.Sprintf("r%d.example.com", i)},
			"issuers": []string{"corp"},
		})
	}
	cfg := map[string]any{
		"issuers": []any{
			map[string]any{"name": "corp", "issuer": issCorp, "jwks": map[string]any{"keys": corp}, "required_claims": []string{"sub"}},
			map[string]any{"name": "hs", "issuer": issHS, "jwks": map[string]any{"keys": hs}, "algorithms": []string{"HS256"}},
		},
		"resources": resources,
	}
	if o.maxTokenBytes > 0 {
		cfg["max_token_bytes"] = o.maxTokenBytes
	}
	if o.sharedSlots > 0 {
		cfg["shared_cache_slots"] = o.sharedSlots
	}
	if o.cacheSize > 0 {
		cfg["cache_size"] = o.cacheSize
	}
	if o.remoteKeys {
		corp := cfg["issuers"].([]any)[0].(map[string]any)
		delete(corp, "jwks")
		corp["jwks_uri"], corp["jwks_cluster"] = remoteJWKSURI, "auth"
	}
	b, err := json.Marshal(cfg)
	must(err)
	return b
}

var defaultConfig = configOptions{resources: 1, hsKeys: 1}

// Requests. Headers are what Envoy hands a filter for an MCP POST.
func baseHeaders(path string) [][2]string {
	return [][2]string{
		{":method", "POST"}, {":path", path}, {":authority", authMain}, {":scheme", "https"},
		{"content-type", "application/json"}, {"accept", "application/json, text/event-stream"},
		{"user-agent", "bench/1.0"}, {"mcp-protocol-version", "2025-06-18"},
		{"x-request-id", "0b7a4c2e-5d1f-4e8a-9c3b-2f6d8e1a7b90"},
	}
}

func authorized(tok string) [][2]string {
	return append(baseHeaders("/mcp"), [2]string{"authorization", "Bearer " + tok})
}

// mcpHitReq is hitReq as an MCP 2026-07-28 tools/call of tool-7: the same
// request whether or not the resource has operation rules.
func mcpHitReq() [][2]string {
	h := hitReq()
	for i := range h {
		if h[i][0] == "mcp-protocol-version" {
			h[i][1] = "2026-07-28"
		}
	}
	return append(h, [2]string{"mcp-method", "tools/call"}, [2]string{"mcp-name", "tool-7"})
}

func metadataRequest() [][2]string {
	h := baseHeaders("/.well-known/oauth-protected-resource/mcp")
	h[0][1] = "GET"
	return h
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
