package main

import (
	"maps"
	"strings"
	"time"

	"github.com/audguard/audguard/internal/mint"
)

// Resource URIs and their metadata parameters, written out literally so the
// expectations do not reuse the code under test.
const (
	resA     = "https://mcp-a.example.com/mcp"
	resB     = "https://mcp-b.example.com/mcp"
	resTools = "https://mcp-a.example.com/tools"
	resCanon = "https://canon.example.com"
	resNonEx = "https://nonex.example.com/mcp"
	resFwd   = "https://fwd.example.com/mcp"
	resDef   = "https://default.example.com/mcp"
	issCorp  = "https://auth.example.com"
	issPart  = "https://partner.example.com"

	metaA     = `resource_metadata="https://mcp-a.example.com/.well-known/oauth-protected-resource/mcp"`
	metaB     = `resource_metadata="https://mcp-b.example.com/.well-known/oauth-protected-resource/mcp"`
	metaTools = `resource_metadata="https://mcp-a.example.com/.well-known/oauth-protected-resource/tools"`
	metaDef   = `resource_metadata="https://default.example.com/.well-known/oauth-protected-resource/mcp"`
	metaCanon = `resource_metadata="https://canon.example.com/.well-known/oauth-protected-resource"`
)

// The fixed error_description sentences (docs/responses.md).
const (
	dMissing   = "A bearer access token is required."
	dInvalid   = "The request must carry exactly one well-formed Bearer Authorization header."
	dQuery     = "Access tokens are not accepted in the query string; use the Authorization header."
	dMalformed = "The access token is malformed."
	dTooLarge  = "The access token is too large."
	dAlg       = "The access token uses an unsupported signing algorithm or header."
	dKey       = "The access token was not signed with a trusted key."
	dSig       = "The access token signature is invalid."
	dIssuer    = "The access token issuer is not accepted for this resource."
	dExpired   = "The access token has expired."
	dNotYet    = "The access token is not valid yet."
	dFuture    = "The access token was issued in the future."
	dType      = "The access token has the wrong type; an at+jwt access token is required."
	dClaim     = "The access token lacks a required claim."
	dAud       = "The access token was not issued for this resource."
	dExtra     = "The access token names other audiences; this resource requires a token issued for it alone."
	dScope     = "The access token lacks a required scope."
	dUnmatched = "No protected resource is configured for this request."
)

func invalidToken(desc, meta string) string {
	return `Bearer error="invalid_token", error_description="` + desc + `", ` + meta
}

func invalidRequest(desc, meta string) string {
	return `Bearer error="invalid_request", error_description="` + desc + `", ` + meta
}

func body(code, desc string) string {
	return `{"error":"` + code + `","error_description":"` + desc + `"}`
}

// testConfig is the main configuration of the dual table: seven resources
// mapped every way docs/request-flow.md#6-resource allows, two issuers.
func testConfig(k *testKeys, mode string, withDefault bool) []byte {
	resources := []map[string]any{
		{"resource": resA, "virtual_hosts": []string{"vh_a"}, "authorities": []string{"mcp-a.example.com"},
			"issuers": []string{"corp"}, "required_scopes": []string{"mcp:tools"},
			"scopes_supported": []string{"mcp:tools", "mcp:resources"},
			"public_paths":     []string{"/healthz", "/public/*"},
			"claim_headers":    map[string]string{"sub": "x-mcp-subject", "client_id": "x-mcp-client-id", "scope": "x-mcp-scope", "roles": "x-mcp-roles"}},
		{"resource": resB, "virtual_hosts": []string{"vh_b"}, "issuers": []string{"corp", "partner"}},
		{"resource": resTools, "routes": []string{"route_tools"}, "issuers": []string{"corp"}},
		{"resource": resCanon, "authorities": []string{"canon.example.com"}, "audience_match": "canonical", "issuers": []string{"corp"}},
		{"resource": resNonEx, "authorities": []string{"nonex.example.com"}, "exclusive_audience": false, "issuers": []string{"corp"}},
		{"resource": resFwd, "authorities": []string{"fwd.example.com"}, "forward_token": true, "issuers": []string{"corp"},
			"public_paths": []string{"/status"}},
	}
	if withDefault {
		resources = append(resources, map[string]any{"resource": resDef, "default": true, "issuers": []string{"corp"}})
	}
	cfg := map[string]any{
		"mode": mode,
		"issuers": []map[string]any{
			{"name": "corp", "issuer": issCorp, "jwks": map[string]any{"keys": []any{k.rs.Public(), k.ec.Public(), k.ed.Public()}},
				"required_claims": []string{"sub"}},
			{"name": "partner", "issuer": issPart, "jwks": map[string]any{"keys": []any{k.edOther.Public()}}, "token_type": "any"},
		},
		"resources": resources,
	}
	return mustJSON(cfg)
}

// tctx mints tokens relative to one runner's clock.
type tctx struct {
	now  time.Time
	keys *testKeys
	live bool // the plugin's clock is time.Now (native), not now (wasm)

	nonce string // the DPoP-Nonce the prelude of a case got (dualCase.prelude)
}

// clock is the plugin's clock as the runner sets it.
func (c *tctx) clock() time.Time {
	if c.live {
		return time.Now()
	}
	return c.now
}

// claims returns a valid access token's claims for aud, then applies edits
// (a nil value deletes a claim).
func (c *tctx) claims(aud any, edits map[string]any) map[string]any {
	n := c.now.Unix()
	m := map[string]any{
		"iss": issCorp, "sub": "user-1", "client_id": "client-1", "aud": aud,
		"scope": "mcp:tools", "iat": n - 30, "exp": n + 600, "jti": "id-1",
	}
	for k, v := range edits {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func (c *tctx) sign(k *mint.Key, claims map[string]any, header map[string]any) string {
	s, err := k.Sign(claims, header)
	if err != nil {
		panic(err)
	}
	return s
}

// rs mints an RS256 corp token for aud with claim edits.
func (c *tctx) rs(aud any, edits map[string]any) string {
	return c.sign(c.keys.rs, c.claims(aud, edits), nil)
}

// rawToken joins base64url parts by hand, for malformed and alg-none cases.
func rawToken(header, claims, sig string) string {
	return mint.B64([]byte(header)) + "." + mint.B64([]byte(claims)) + "." + sig
}

func merge(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}

func pad(n int) string { return strings.Repeat("x", n) }
