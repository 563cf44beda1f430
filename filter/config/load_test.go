package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/jwtlite"
)

func TestDefaults(t *testing.T) {
	c := obj{
		"issuers":   arr{obj{"name": "corp", "issuer": "https://auth.example.com", "jwks": jwks(rsaKey(t), ecKey(t), edKey(t))}},
		"resources": arr{obj{"resource": "https://mcp.example.com/mcp", "default": true, "required_scopes": arr{"a", "b"}}},
	}
	p := mustLoad(t, c)
	if p.Mode != ModeEnforce || p.ClockSkew != 60*time.Second || p.MaxTokenBytes != 8192 {
		t.Errorf("mode %v skew %v max %d; want enforce 60s 8192", p.Mode, p.ClockSkew, p.MaxTokenBytes)
	}
	is := p.Issuers[0]
	if is.TokenType != TokenTypeATJWT {
		t.Errorf("token_type = %v, want at+jwt", is.TokenType)
	}
	if want := []jwtlite.Algorithm{jwtlite.ES256, jwtlite.EdDSA, jwtlite.RS256}; !reflect.DeepEqual(is.Algorithms, want) {
		t.Errorf("algorithms = %v, want %v", is.Algorithms, want)
	}
	if len(is.Keys.Keys) != 3 || len(is.RequiredClaims) != 0 {
		t.Errorf("keys %d, required claims %q", len(is.Keys.Keys), is.RequiredClaims)
	}
	r := p.Resources[0]
	if r.AudienceMatch != canonical.ModeExact || !r.ExclusiveAudience || r.ForwardToken || !r.Default {
		t.Errorf("audience_match %v exclusive %v forward %v default %v", r.AudienceMatch, r.ExclusiveAudience, r.ForwardToken, r.Default)
	}
	if len(r.Issuers) != 1 || r.Issuers[0] != is {
		t.Errorf("issuers = %v, want the only issuer", r.Issuers)
	}
	if !reflect.DeepEqual(r.ScopesSupported, []string{"a", "b"}) {
		t.Errorf("scopes_supported = %q, want required_scopes", r.ScopesSupported)
	}
	if !reflect.DeepEqual(r.AuthorizationServers, []string{"https://auth.example.com"}) {
		t.Errorf("authorization_servers = %q", r.AuthorizationServers)
	}
	if r.Audience == nil || !r.Audience.Match([]byte("HTTPS://MCP.example.com/mcp")) || r.Audience.Match([]byte("https://mcp.example.com:443/mcp")) {
		t.Error("audience matcher is not the exact matcher of the resource")
	}
	if p.Default != r || len(p.StripHeaders) != 0 || len(p.Warnings) != 0 {
		t.Errorf("default %v strip %q warnings %q", p.Default, p.StripHeaders, p.Warnings)
	}
	if r.IssuerFor([]byte("https://auth.example.com")) != is || r.IssuerFor([]byte("https://auth.example.com/")) != nil {
		t.Error("IssuerFor")
	}
}

func TestExplicitValues(t *testing.T) {
	c := baseConfig(t)
	c["mode"] = "enforce"
	c["clock_skew_seconds"] = 0
	c["max_token_bytes"] = 65536
	iss0(c)["algorithms"] = arr{"ES256", "Ed25519"}
	iss0(c)["token_type"] = "any"
	res0(c)["audience_match"] = "exact"
	res0(c)["forward_token"] = true
	res0(c)["authorization_servers"] = arr{"https://as.example.com"}
	res0(c)["scopes_supported"] = arr{}
	p := mustLoad(t, c)
	if p.ClockSkew != 0 || p.MaxTokenBytes != 65536 {
		t.Errorf("skew %v max %d", p.ClockSkew, p.MaxTokenBytes)
	}
	is := p.Issuers[0]
	if is.TokenType != TokenTypeAny || !reflect.DeepEqual(is.Algorithms, []jwtlite.Algorithm{jwtlite.ES256, jwtlite.Ed25519}) {
		t.Errorf("token_type %v algorithms %v", is.TokenType, is.Algorithms)
	}
	// The RSA key's bound algorithm is not in the explicit list: skipped with
	// a warning; token_type "any" and forward_token are risky options, warned
	// about by the loader itself (so the filter logs them at start).
	if len(is.Keys.Keys) != 2 || len(p.Warnings) != 3 ||
		!strings.HasPrefix(p.Warnings[0], `issuers[0].token_type: "any" does not check typ`) ||
		!strings.HasPrefix(p.Warnings[1], `issuers[0].jwks: key 0 (kid "rsa-1"): skipped`) ||
		!strings.HasPrefix(p.Warnings[2], `resources[0].forward_token: the upstream MCP server receives the access token`) {
		t.Errorf("keys %d warnings %q", len(is.Keys.Keys), p.Warnings)
	}
	r := p.Resources[0]
	if !r.ForwardToken || len(r.ScopesSupported) != 0 || !reflect.DeepEqual(r.AuthorizationServers, []string{"https://as.example.com"}) {
		t.Errorf("forward %v scopes_supported %q as %q", r.ForwardToken, r.ScopesSupported, r.AuthorizationServers)
	}
}

// TestJWKSForms: a JWK Set written as a string is read as the object; one
// that holds a private key is refused either way, naming the members and
// never their values, and never reaches the configuration dump.
func TestJWKSForms(t *testing.T) {
	c := baseConfig(t)
	b, _ := json.Marshal(jwks(rsaKey(t), edKey(t)))
	iss0(c)["jwks"] = string(b)
	if n := len(mustLoad(t, c).Issuers[0].Keys.Keys); n != 2 {
		t.Fatalf("jwks string: %d keys, want 2", n)
	}
	set := jwks(rsaKey(t), edKey(t))
	set["keys"].(arr)[1].(obj)["d"] = "c2VjcmV0c2VjcmV0"
	set["keys"].(arr)[0].(obj)["p"] = "c2VjcmV0c2VjcmV0"
	b, _ = json.Marshal(set)
	for _, v := range []any{set, string(b)} {
		iss0(c)["jwks"] = v
		p, err := Load(marshal(t, c))
		var e *Error
		if p != nil || !errors.As(err, &e) || !errors.Is(err, jwtlite.ErrPrivateKey) || e.Path != "issuers[0].jwks" ||
			!strings.Contains(e.Msg, `key 0 (kid "rsa-1"): holds private key members ("p")`) ||
			e.Fix != "publish only the public half: remove d, p, q, dp, dq, qi (and oth) from the key named in the message" {
			t.Fatalf("%T: got %v", v, err)
		}
		if strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("refusal quotes the private member: %v", err)
		}
	}
}

func TestHMACIssuer(t *testing.T) {
	c := baseConfig(t)
	iss0(c)["jwks"] = jwks(octKey("h1", 32))
	iss0(c)["algorithms"] = arr{"HS256"}
	p := mustLoad(t, c)
	is := p.Issuers[0]
	if len(is.Keys.Keys) != 1 || is.Keys.Keys[0].Alg != jwtlite.HS256 {
		t.Fatalf("keys %+v", is.Keys.Keys)
	}
	want := []string{`issuers[0].algorithms[0]: HS256 verifies with a shared secret: the shared secret is visible in the host's config dump`}
	if !reflect.DeepEqual(p.Warnings, want) {
		t.Errorf("warnings %q, want %q", p.Warnings, want)
	}
}

// tablesConfig has four resources: base, a default one, a root resource on a
// non-default port, and a trailing-slash resource sharing base's authority.
func tablesConfig(t testing.TB) obj {
	c := baseConfig(t)
	res0(c)["claim_headers"] = obj{"sub": "x-mcp-subject", "client_id": "X_MCP_Client"}
	res0(c)["public_paths"] = arr{"/healthz", "/static/*"}
	addResource(c, obj{"resource": "https://api.example.com/mcp", "routes": arr{"api_mcp"}, "virtual_hosts": arr{"api_vh"},
		"authorities": arr{"API.example.com:443"}, "default": true, "claim_headers": obj{"scope": "x-mcp-scope", "sub": "x-mcp-subject"}})
	addResource(c, obj{"resource": "https://root.example.com:8443", "routes": arr{"root"}, "authorities": arr{"alias.example.com", "root.example.com:8443"}, "public_paths": arr{"/health/*"}})
	addResource(c, obj{"resource": "https://mcp.example.com/tools/", "routes": arr{"tools"}})
	return c
}

func TestLookupTables(t *testing.T) {
	p := mustLoad(t, tablesConfig(t))
	r := p.Resources
	for i, x := range r {
		if x.Index != i {
			t.Errorf("resources[%d].Index = %d", i, x.Index)
		}
	}
	wantRoute := map[string]*Resource{"weather_mcp": r[0], "api_mcp": r[1], "root": r[2], "tools": r[3]}
	wantVH := map[string]*Resource{"mcp_example": r[0], "api_vh": r[1]}
	wantAuth := map[string]*Resource{"mcp.example.com": r[0], "api.example.com": r[1], "alias.example.com": r[2], "root.example.com:8443": r[2]}
	const wk = "/.well-known/oauth-protected-resource"
	wantMD := map[MetadataAt]*Resource{
		{"mcp.example.com", wk + "/mcp"}: r[0], {"mcp.example.com", wk + "/tools"}: r[3],
		{"api.example.com", wk + "/mcp"}: r[1],
		{"root.example.com:8443", wk}:    r[2],
		{"alias.example.com", wk}:        r[2],
	}
	if !reflect.DeepEqual(p.ByRoute, wantRoute) || !reflect.DeepEqual(p.ByVirtualHost, wantVH) || !reflect.DeepEqual(p.ByAuthority, wantAuth) {
		t.Errorf("ByRoute %v\nByVirtualHost %v\nByAuthority %v", p.ByRoute, p.ByVirtualHost, p.ByAuthority)
	}
	if !reflect.DeepEqual(p.Metadata, wantMD) {
		t.Errorf("Metadata = %v", p.Metadata)
	}
	if p.Default != r[1] {
		t.Errorf("Default = %v", p.Default)
	}
	if !reflect.DeepEqual(r[1].Authorities, []string{"api.example.com"}) {
		t.Errorf("authorities not normalised: %q", r[1].Authorities)
	}
	meta := []struct{ path, url string }{
		{wk + "/mcp", "https://mcp.example.com" + wk + "/mcp"},
		{wk + "/mcp", "https://api.example.com" + wk + "/mcp"},
		{wk, "https://root.example.com:8443" + wk},
		{wk + "/tools/", "https://mcp.example.com" + wk + "/tools/"},
	}
	for i, m := range meta {
		if r[i].MetadataPath != m.path || r[i].MetadataURL != m.url {
			t.Errorf("resources[%d]: metadata %q %q, want %q %q", i, r[i].MetadataPath, r[i].MetadataURL, m.path, m.url)
		}
	}
	if want := []ClaimHeader{{"sub", "x-mcp-subject"}, {"client_id", "x_mcp_client"}}; !reflect.DeepEqual(r[0].ClaimHeaders, want) {
		t.Errorf("claim headers %v, want %v", r[0].ClaimHeaders, want)
	}
	if want := []string{"x-mcp-client", "x-mcp-scope", "x-mcp-subject"}; !reflect.DeepEqual(p.StripHeaders, want) {
		t.Errorf("StripHeaders = %q, want %q", p.StripHeaders, want)
	}
	if want := []PublicPath{{"/healthz", false}, {"/static/", true}}; !reflect.DeepEqual(r[0].PublicPaths, want) {
		t.Errorf("public paths %v, want %v", r[0].PublicPaths, want)
	}
	if want := []PublicPath{{"/health/", true}}; !reflect.DeepEqual(r[2].PublicPaths, want) {
		t.Errorf("root public paths %v, want %v", r[2].PublicPaths, want)
	}
	if MetadataKey(wk+"/tools/") != wk+"/tools" || MetadataKey(wk) != wk {
		t.Error("MetadataKey")
	}
}

// warningsConfig triggers every warning Load gives.
func warningsConfig(t testing.TB) obj {
	c := baseConfig(t)
	c["mode"] = "report"
	c["clock_skew_seconds"] = 121
	enc := edKey(t)
	enc["kid"] = "enc-1"
	enc["use"] = "enc"
	iss0(c)["jwks"] = jwks(rsaKey(t), ecKey(t), edKey(t), enc)
	addIssuer(c, obj{"name": "hs", "issuer": "https://hs.example.com", "jwks": jwks(octKey("h1", 48)), "algorithms": arr{"HS384"}})
	r := res0(c)
	r["resource"] = "http://mcp.example.com/mcp/"
	r["routes"] = arr{"default"}
	r["virtual_hosts"] = arr{"*:80"}
	r["authorities"] = arr{"alt.example.com", "mcp.example.com"}
	r["issuers"] = arr{"corp", "hs"}
	r["scopes_supported"] = arr{"mcp:tools", "offline_access"}
	r["audience_match"] = "canonical"
	r["exclusive_audience"] = false
	addResource(c, obj{"resource": "https://api.example.com/mcp", "default": true, "issuers": arr{"corp"}, "required_scopes": arr{"mcp:read"}})
	return c
}

func TestWarnings(t *testing.T) {
	p := mustLoad(t, warningsConfig(t))
	want := []string{
		"mode: report mode never blocks",
		"clock_skew_seconds: a leeway of 121 s",
		`issuers[0].jwks: key 3 (kid "enc-1"): skipped: "use" is "enc"`,
		"issuers[1].algorithms[0]: HS384 verifies with a shared secret: the shared secret is visible in the host's config dump",
		`resources[0].resource: resource "http://mcp.example.com/mcp/" ends with "/"`,
		`resources[0].resource: resource "http://mcp.example.com/mcp/" uses plain http`,
		`resources[0].routes[0]: route name "default"`,
		`resources[0].virtual_hosts[0]: virtual host name contains "*"`,
		`resources[0].authorities[0]: authority "alt.example.com" differs from the resource URI's authority "mcp.example.com": the metadata document served on it names the resource URI`,
		`resources[0].scopes_supported[1]: "offline_access" is not published`,
		`resources[0].audience_match: "canonical" also accepts`,
		"resources[0].exclusive_audience: tokens whose aud also names other services are accepted",
	}
	if len(p.Warnings) != len(want) {
		t.Fatalf("got %d warnings, want %d:\n%s", len(p.Warnings), len(want), strings.Join(p.Warnings, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(p.Warnings[i], w) {
			t.Errorf("warning %d = %q, want prefix %q", i, p.Warnings[i], w)
		}
		if strings.ContainsAny(p.Warnings[i], "\r\n") {
			t.Errorf("warning %d spans lines", i)
		}
	}
	// Loading twice gives the same order.
	if q := mustLoad(t, warningsConfig(t)); !reflect.DeepEqual(q.Warnings, p.Warnings) {
		t.Error("warnings are not in a stable order")
	}
}

// view is a pointer-free projection of a Plugin for deep comparison.
type view struct {
	Mode          Mode
	ClockSkew     time.Duration
	MaxTokenBytes int
	Issuers       []issuerView
	Resources     []resourceView
	ByRoute       map[string]int
	ByVirtualHost map[string]int
	ByAuthority   map[string]int
	Default       int
	Metadata      map[string]map[string]int
	StripHeaders  []string
	Warnings      int // the count: a defaulted value is explicit after JSON(), so a warning may name another path
}

type issuerView struct {
	Name, Issuer   string
	JWKS           string
	Keys           []string
	Algorithms     []jwtlite.Algorithm
	TokenType      TokenType
	RequiredClaims []string
}

type resourceView struct {
	Index                                int
	URI                                  string
	Parsed                               canonical.URI
	Routes, VirtualHosts, Authorities    []string
	Default                              bool
	Issuers                              []string
	RequiredScopes, ScopesSupported, ASs []string
	AudienceMatch                        canonical.Mode
	ExclusiveAudience, ForwardToken      bool
	PublicPaths                          []PublicPath
	ClaimHeaders                         []ClaimHeader
	MetadataPath, MetadataURL            string
}

func viewOf(p *Plugin) view {
	idx := func(m map[string]*Resource) map[string]int {
		out := make(map[string]int, len(m))
		for k, r := range m {
			out[k] = r.Index
		}
		return out
	}
	v := view{Mode: p.Mode, ClockSkew: p.ClockSkew, MaxTokenBytes: p.MaxTokenBytes, ByRoute: idx(p.ByRoute),
		ByVirtualHost: idx(p.ByVirtualHost), ByAuthority: idx(p.ByAuthority), Default: -1,
		Metadata: map[string]map[string]int{}, StripHeaders: p.StripHeaders, Warnings: len(p.Warnings)}
	if p.Default != nil {
		v.Default = p.Default.Index
	}
	for at, r := range p.Metadata {
		if v.Metadata[at.Authority] == nil {
			v.Metadata[at.Authority] = map[string]int{}
		}
		v.Metadata[at.Authority][at.Path] = r.Index
	}
	for _, is := range p.Issuers {
		iv := issuerView{Name: is.Name, Issuer: is.Issuer, JWKS: string(is.JWKS), Algorithms: is.Algorithms, TokenType: is.TokenType, RequiredClaims: is.RequiredClaims}
		for _, k := range is.Keys.Keys {
			iv.Keys = append(iv.Keys, k.ID+"/"+string(k.Alg)+"/"+k.Kty)
		}
		v.Issuers = append(v.Issuers, iv)
	}
	for _, r := range p.Resources {
		rv := resourceView{Index: r.Index, URI: r.URI, Parsed: r.Parsed, Routes: r.Routes, VirtualHosts: r.VirtualHosts,
			Authorities: r.Authorities, Default: r.Default, RequiredScopes: r.RequiredScopes, ScopesSupported: r.ScopesSupported,
			ASs: r.AuthorizationServers, AudienceMatch: r.AudienceMatch, ExclusiveAudience: r.ExclusiveAudience,
			ForwardToken: r.ForwardToken, PublicPaths: r.PublicPaths, ClaimHeaders: r.ClaimHeaders,
			MetadataPath: r.MetadataPath, MetadataURL: r.MetadataURL}
		for _, is := range r.Issuers {
			rv.Issuers = append(rv.Issuers, is.Name)
		}
		v.Resources = append(v.Resources, rv)
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	configs := map[string]obj{
		"base":     baseConfig(t),
		"tables":   tablesConfig(t),
		"warnings": warningsConfig(t),
	}
	for name, c := range configs {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, c)
			doc := p.JSON()
			q, err := Load(doc)
			if err != nil {
				t.Fatalf("Load(JSON()): %v\n%s", err, doc)
			}
			if a, b := viewOf(p), viewOf(q); !reflect.DeepEqual(a, b) {
				t.Errorf("round trip differs:\n%+v\n%+v", a, b)
			}
			if again := q.JSON(); !bytes.Equal(again, doc) {
				t.Errorf("JSON() is not a fixed point:\n%s\n%s", doc, again)
			}
		})
	}
}

// TestJSONWritesDefaults: every default is written out.
func TestJSONWritesDefaults(t *testing.T) {
	c := obj{
		"issuers":   arr{obj{"name": "corp", "issuer": "https://auth.example.com", "jwks": jwks(edKey(t))}},
		"resources": arr{obj{"resource": "https://mcp.example.com", "default": true}},
	}
	var got map[string]any
	if err := json.Unmarshal(mustLoad(t, c).JSON(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"mode": "enforce", "authority_from": "auto", "clock_skew_seconds": 60.0, "max_token_bytes": 8192.0,
		"cache_size": 1024.0, "shared_cache_slots": 0.0, "gc_percent": 100.0, "access_log_properties": true,
		"issuers": []any{map[string]any{"name": "corp", "issuer": "https://auth.example.com",
			"jwks": map[string]any{"keys": []any{edKey(t)}}, "algorithms": []any{"EdDSA"}, "token_type": "at+jwt", "required_claims": []any{},
			"revoked_key_ids": []any{}, "revoked_token_ids": []any{}}},
		"resources": []any{map[string]any{"resource": "https://mcp.example.com", "name": "mcp_example_com", "routes": []any{}, "virtual_hosts": []any{},
			"authorities": []any{}, "default": true, "issuers": []any{"corp"}, "required_scopes": []any{}, "scopes_supported": []any{},
			"scope_implies": map[string]any{}, "operations": []any{}, "legacy_protocol": "require_all",
			"mcp_body": "off", "max_body_bytes": 1048576.0, "shape_lists": false,
			"authorization_servers": []any{"https://auth.example.com"}, "audience_match": "exact", "exclusive_audience": true,
			"public_paths": []any{}, "forward_token": false, "claim_headers": map[string]any{}}},
	}
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		t.Errorf("JSON() =\n%s\nwant\n%s", gb, wb)
	}
}

// TestDPoPKeys: the DPoP keys' defaults and values, and that a dump writes
// them only where dpop is not "off", never the nonce secret.
func TestDPoPKeys(t *testing.T) {
	doc := []byte(`{"dpop_nonce_secret":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"issuers":[{"name":"corp","issuer":"https://auth.example.com","algorithms":["HS256"],"jwks":{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXh4eHg","alg":"HS256"}]}}],
		"resources":[{"resource":"https://a.example.com/mcp","default":true},
			{"resource":"https://b.example.com/mcp","authorities":["b.example.com"],"dpop":"required"},
			{"resource":"https://c.example.com/mcp","authorities":["c.example.com"],"dpop":"allowed","dpop_algorithms":["EdDSA"],"dpop_nonce":true,"dpop_iat_window_seconds":30}]}`)
	p, err := Load(doc)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.DPoPNonceSecret) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("secret %q", p.DPoPNonceSecret)
	}
	a, b, c := p.Resources[0], p.Resources[1], p.Resources[2]
	if a.DPoP != DPoPOff || a.DPoPAlgorithms != nil || b.DPoP != DPoPRequired || len(b.DPoPAlgorithms) != len(DefaultDPoPAlgorithms) ||
		b.DPoPNonce || b.DPoPIATWindow() != 60*time.Second {
		t.Errorf("defaults: a %v %v, b %v %v %v %v", a.DPoP, a.DPoPAlgorithms, b.DPoP, b.DPoPAlgorithms, b.DPoPNonce, b.DPoPIATWindow())
	}
	if c.DPoP != DPoPAllowed || len(c.DPoPAlgorithms) != 1 || c.DPoPAlgorithms[0] != "EdDSA" || !c.DPoPNonce || c.DPoPIATWindow() != 30*time.Second {
		t.Errorf("values: %v %v %v %v", c.DPoP, c.DPoPAlgorithms, c.DPoPNonce, c.DPoPIATWindow())
	}
	dump := string(p.JSON())
	if strings.Contains(dump, "dpop_nonce_secret") || strings.Contains(dump, "MDEy") {
		t.Errorf("the dump carries the nonce secret:\n%s", dump)
	}
	if n := strings.Count(dump, `"dpop":`); n != 2 {
		t.Errorf("%d dpop members in the dump, want 2 (not for the off resource):\n%s", n, dump)
	}
	if !strings.Contains(dump, `"dpop_algorithms": [
        "ES256",`) {
		t.Errorf("the default algorithms are not written out:\n%s", dump)
	}
}

// TestRuntimeKeys: gc_percent and access_log_properties are read as given
// (their defaults are in TestJSONWritesDefaults, their refusals in
// refuse_test.go).
func TestRuntimeKeys(t *testing.T) {
	c := obj{
		"gc_percent": 50, "access_log_properties": false,
		"issuers":   arr{obj{"name": "corp", "issuer": "https://auth.example.com", "jwks": jwks(edKey(t))}},
		"resources": arr{obj{"resource": "https://mcp.example.com", "default": true}},
	}
	p := mustLoad(t, c)
	if p.GCPercent != 50 || p.AccessLogProperties {
		t.Errorf("GCPercent %d, AccessLogProperties %v; want 50, false", p.GCPercent, p.AccessLogProperties)
	}
}
