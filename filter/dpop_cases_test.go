package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/dpop"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/internal/mint"
)

// DPoP (RFC 9449; docs/request-flow.md#11a-dpop): sender-constrained tokens at
// resources whose dpop is "required" or "allowed", the downgrade rule
// everywhere, replay, nonces and the metadata document.

const (
	resDPoPReq   = "https://dpop-req.example.com/mcp"
	resDPoPAllow = "https://dpop-allow.example.com/mcp"
	resDPoPNonce = "https://dpop-nonce.example.com/mcp"
	resDPoPOff   = "https://dpop-off.example.com/mcp"
	resDPoPOps   = "https://dpop-ops.example.com/mcp"
)

// dpopNonceSecret is the configured dpop_nonce_secret: the tests compute
// nonces with it.
var dpopNonceSecret = []byte("0123456789abcdef0123456789abcdef")

// dpopConfig: one resource per DPoP mode (off, allowed, required, required
// with nonces) and a body-judged one, all trusting corp.
func dpopConfig(k *testKeys) []byte {
	return mustJSON(map[string]any{
		"dpop_nonce_secret": base64.RawURLEncoding.EncodeToString(dpopNonceSecret),
		"issuers": []map[string]any{{"name": "corp", "issuer": issCorp,
			"jwks": map[string]any{"keys": []any{k.rs.Public(), k.ec.Public(), k.ed.Public()}}}},
		"resources": []map[string]any{
			{"resource": resDPoPReq, "authorities": []string{"dpop-req.example.com"}, "dpop": "required",
				"required_scopes": []string{"mcp:tools"}, "claim_headers": map[string]string{"sub": "x-mcp-subject"}},
			{"resource": resDPoPAllow, "authorities": []string{"dpop-allow.example.com"}, "dpop": "allowed",
				"dpop_algorithms": []string{"EdDSA", "ES256"}},
			{"resource": resDPoPNonce, "authorities": []string{"dpop-nonce.example.com"}, "dpop": "required",
				"dpop_nonce": true, "dpop_iat_window_seconds": 120},
			{"resource": resDPoPOff, "authorities": []string{"dpop-off.example.com"}},
			{"resource": resDPoPOps, "authorities": []string{"dpop-ops.example.com"}, "dpop": "required",
				"operations": []map[string]any{{"method": "tools/call", "scopes": []string{"mcp:tools"}}}},
		},
	})
}

// boundToken is an access token for aud bound to key (cnf.jkt, RFC 9449 §6.1).
func (c *tctx) boundToken(aud string, key *mint.Key, edits map[string]any) string {
	e := map[string]any{"cnf": map[string]any{"jkt": key.Thumbprint()}}
	for k, v := range edits {
		e[k] = v
	}
	return c.rs(aud, e)
}

// proof is a DPoP proof by key for a GET of htu with token, at the runner's
// clock, carrying c.nonce when set; edit changes its header and claims.
func (c *tctx) proof(key *mint.Key, htu, token string, edit func(h, cl map[string]any)) string {
	h := map[string]any{}
	cl := map[string]any{"jti": "jti-1", "htm": "GET", "htu": htu, "iat": c.now.Unix(), "ath": mint.TokenHash(token)}
	if c.nonce != "" {
		cl["nonce"] = c.nonce
	}
	if edit != nil {
		edit(h, cl)
	}
	p, err := key.DPoPProof(cl, h)
	if err != nil {
		panic(err)
	}
	return p
}

// dpopNonceAt is the nonce the plugin issues for resource at t.
func dpopNonceAt(resource string, t time.Time) string {
	n, err := dpop.NewNonces(dpop.NonceConfig{Secret: dpopNonceSecret, Context: resource})
	if err != nil {
		panic(err)
	}
	s, err := n.Issue(t)
	if err != nil {
		panic(err)
	}
	return s
}

func dpopCases() []dualCase {
	const defaultAlgs = `algs="ES256 ES384 ES512 EdDSA PS256 RS256"`
	md := func(res string) string {
		host := strings.TrimSuffix(strings.TrimPrefix(res, "https://"), "/mcp")
		return `resource_metadata="https://` + host + `/.well-known/oauth-protected-resource/mcp"`
	}
	mdReq, mdAllow, mdNonce, mdOff := md(resDPoPReq), md(resDPoPAllow), md(resDPoPNonce), md(resDPoPOff)
	reqProof := func(desc string) string {
		return `DPoP ` + defaultAlgs + `, error="invalid_dpop_proof", error_description="` + desc + `", ` + mdReq
	}
	reqToken := func(desc string) string {
		return `DPoP ` + defaultAlgs + `, error="invalid_token", error_description="` + desc + `", ` + mdReq
	}
	// dp: the DPoP scheme with a token for aud bound to the proof key, and one proof.
	dp := func(aud string, tokEdits map[string]any, edit func(h, cl map[string]any)) func(*tctx) (string, []string) {
		return func(c *tctx) (string, []string) {
			tok := c.boundToken(aud, c.keys.dpopEd, tokEdits)
			return "DPoP " + tok, []string{c.proof(c.keys.dpopEd, aud, tok, edit)}
		}
	}
	// dpKey: as dp, with another proof key (the token bound to it).
	dpKey := func(aud string, key func(*tctx) *mint.Key, edit func(h, cl map[string]any)) func(*tctx) (string, []string) {
		return func(c *tctx) (string, []string) {
			tok := c.boundToken(aud, key(c), nil)
			return "DPoP " + tok, []string{c.proof(key(c), aud, tok, edit)}
		}
	}
	allowed := policy.CounterAllowed
	missing := policy.DeniedCounter(policy.ReasonMissingToken)
	badProof := policy.DeniedCounter(policy.ReasonInvalidDPoPProof)
	replayed := policy.DeniedCounter(policy.ReasonDPoPReplayed)
	useNonce := policy.DeniedCounter(policy.ReasonUseDPoPNonce)
	binding := policy.DeniedCounter(policy.ReasonDPoPBinding)
	req := func(name string, fn func(*tctx) (string, []string), status uint32, www, counter string) dualCase {
		return dualCase{name: "dpop/required/" + name, cfg: "dpop", authority: "dpop-req.example.com", dpopFn: fn,
			status: status, www: www, counter: counter}
	}
	// failing: a proof at the required resource failing one check of RFC 9449 §4.3.
	failing := func(name, desc string, edit func(h, cl map[string]any)) dualCase {
		return req(name, dp(resDPoPReq, nil, edit), 401, reqProof(desc), badProof)
	}
	calls := 0 // the cache case: its prelude is good, the request after it is not
	return []dualCase{
		// ---- A valid proof.
		req("valid proof", dp(resDPoPReq, nil, nil), 0, "", allowed),
		{name: "dpop/required/valid proof: token and proof removed, claims forwarded, no nonce header", cfg: "dpop", authority: "dpop-req.example.com",
			dpopFn: dp(resDPoPReq, nil, nil), counter: allowed, gone: []string{"authorization", "dpop"},
			up: map[string]string{"x-mcp-subject": "user-1"}, respHdr: map[string]string{"dpop-nonce": ""}},
		req("scheme name is case-insensitive", func(c *tctx) (string, []string) {
			a, p := dp(resDPoPReq, nil, nil)(c)
			return "dPoP" + strings.TrimPrefix(a, "DPoP"), p
		}, 0, "", allowed),
		{name: "dpop/required/htu ignores the query", cfg: "dpop", authority: "dpop-req.example.com", path: "/mcp?session=1",
			dpopFn: dp(resDPoPReq, nil, nil), counter: allowed},
		{name: "dpop/required/htu from the configured origin, whatever the Host", cfg: "dpop", authority: "dpop-req.example.com",
			hosts: []string{"dpop-req.example.com"}, headers: [][2]string{{"x-forwarded-host", "evil.example.com"}},
			dpopFn: dp(resDPoPReq, nil, func(_, cl map[string]any) { cl["htu"] = "https://evil.example.com/mcp" }),
			status: 401, www: reqProof("The DPoP proof htu does not match the request URI."), counter: badProof},
		req("ES256 proof key", dpKey(resDPoPReq, func(c *tctx) *mint.Key { return c.keys.dpopEC }, nil), 0, "", allowed),
		{name: "dpop/required/body judged: the body pass does not see its own proof as a replay", cfg: "dpop",
			authority: "dpop-ops.example.com", method: "POST", rpc: call("1", "tools/call", tool("get_forecast")),
			headers: [][2]string{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "tools/call"}, {"mcp-name", "get_forecast"}},
			dpopFn:  dp(resDPoPOps, nil, func(_, cl map[string]any) { cl["htm"] = "POST" }), counter: allowed},

		// ---- Required: DPoP only.
		{name: "dpop/required/no credentials: the DPoP challenge only", cfg: "dpop", authority: "dpop-req.example.com",
			status: 401, wwwAll: []string{`DPoP ` + defaultAlgs + `, ` + mdReq + `, scope="mcp:tools"`}, counter: missing},
		{name: "dpop/required/a Bearer credential counts as none", cfg: "dpop", authority: "dpop-req.example.com",
			token:  func(c *tctx) string { return c.rs(resDPoPReq, nil) },
			status: 401, wwwAll: []string{`DPoP ` + defaultAlgs + `, ` + mdReq + `, scope="mcp:tools"`}, counter: missing},
		{name: "dpop/required/insufficient scope: the DPoP challenge", cfg: "dpop", authority: "dpop-req.example.com",
			dpopFn: dp(resDPoPReq, map[string]any{"scope": "other"}, nil), status: 403,
			wwwAll: []string{`DPoP ` + defaultAlgs + `, error="insufficient_scope", scope="mcp:tools", ` + mdReq +
				`, error_description="The access token lacks a required scope."`},
			counter: policy.DeniedCounter(policy.ReasonInsufficientScope)},

		// ---- Each check of RFC 9449 §4.3, failing alone.
		req("no DPoP header", func(c *tctx) (string, []string) {
			return "DPoP " + c.boundToken(resDPoPReq, c.keys.dpopEd, nil), nil
		}, 401, reqProof("The request must carry one DPoP proof in a DPoP header."), badProof),
		req("two DPoP headers", func(c *tctx) (string, []string) {
			a, p := dp(resDPoPReq, nil, nil)(c)
			return a, []string{p[0], p[0]}
		}, 401, reqProof("The request must carry exactly one DPoP proof."), badProof),
		req("malformed", func(c *tctx) (string, []string) {
			a, _ := dp(resDPoPReq, nil, nil)(c)
			return a, []string{"not-a-jwt"}
		}, 401, reqProof("The DPoP proof is not a well-formed JWT."), badProof),
		failing("typ JWT", "The DPoP proof must have typ dpop+jwt.", func(h, _ map[string]any) { h["typ"] = "JWT" }),
		failing("alg none", "The DPoP proof is signed with an algorithm this resource does not accept.", func(h, _ map[string]any) { h["alg"] = "none" }),
		{name: "dpop/allowed/alg not in dpop_algorithms", cfg: "dpop", authority: "dpop-allow.example.com",
			dpopFn: dpKey(resDPoPAllow, func(c *tctx) *mint.Key { return c.keys.rs }, nil), status: 401,
			www:     `DPoP algs="EdDSA ES256", error="invalid_dpop_proof", error_description="The DPoP proof is signed with an algorithm this resource does not accept.", ` + mdAllow,
			counter: badProof},
		failing("no jwk", "The DPoP proof header must carry the public key as jwk.", func(h, _ map[string]any) { h["jwk"] = nil }),
		{name: "dpop/required/private jwk", cfg: "dpop", authority: "dpop-req.example.com", dpopFn: func(c *tctx) (string, []string) {
			priv := c.keys.dpopEd.Private()
			delete(priv, "kid")
			return dp(resDPoPReq, nil, func(h, _ map[string]any) { h["jwk"] = priv })(c)
		}, status: 401, www: reqProof("The DPoP proof jwk must not hold private key material."), counter: badProof},
		{name: "dpop/required/jwk not usable with alg", cfg: "dpop", authority: "dpop-req.example.com", dpopFn: func(c *tctx) (string, []string) {
			return dp(resDPoPReq, nil, func(h, _ map[string]any) { h["jwk"] = c.keys.dpopEC.DPoPJWK() })(c)
		}, status: 401, www: reqProof("The DPoP proof jwk is not a public key usable with its alg."), counter: badProof},
		{name: "dpop/required/bad signature", cfg: "dpop", authority: "dpop-req.example.com", dpopFn: func(c *tctx) (string, []string) {
			tok := c.boundToken(resDPoPReq, c.keys.dpopOther, nil) // bound to the key the jwk names
			return "DPoP " + tok, []string{c.proof(c.keys.dpopEd, resDPoPReq, tok, func(h, _ map[string]any) { h["jwk"] = c.keys.dpopOther.DPoPJWK() })}
		}, status: 401, www: reqProof("The DPoP proof signature is invalid."), counter: badProof},
		failing("no jti", "The DPoP proof must carry a jti.", func(_, cl map[string]any) { delete(cl, "jti") }),
		failing("htm POST for a GET", "The DPoP proof htm does not match the request method.", func(_, cl map[string]any) { cl["htm"] = "POST" }),
		failing("htu of another resource", "The DPoP proof htu does not match the request URI.", func(_, cl map[string]any) { cl["htu"] = resDPoPAllow }),
		failing("htu of another path", "The DPoP proof htu does not match the request URI.", func(_, cl map[string]any) { cl["htu"] = "https://dpop-req.example.com/other" }),
		{name: "dpop/required/iat too old", cfg: "dpop", authority: "dpop-req.example.com",
			dpopFn: dp(resDPoPReq, nil, func(_, cl map[string]any) { cl["iat"] = cl["iat"].(int64) - 120 }),
			status: 401, www: reqProof("The DPoP proof iat is outside the accepted window."), counter: badProof},
		{name: "dpop/required/iat in the future", cfg: "dpop", authority: "dpop-req.example.com",
			dpopFn: dp(resDPoPReq, nil, func(_, cl map[string]any) { cl["iat"] = cl["iat"].(int64) + 300 }),
			status: 401, www: reqProof("The DPoP proof iat is outside the accepted window."), counter: badProof},
		failing("ath of another token", "The DPoP proof ath does not match the access token.", func(_, cl map[string]any) { cl["ath"] = mint.TokenHash("other") }),
		failing("no ath", "The DPoP proof ath does not match the access token.", func(_, cl map[string]any) { delete(cl, "ath") }),

		// ---- The binding (RFC 9449 §6.1, §7.1).
		req("token not bound", func(c *tctx) (string, []string) {
			tok := c.rs(resDPoPReq, nil)
			return "DPoP " + tok, []string{c.proof(c.keys.dpopEd, resDPoPReq, tok, nil)}
		}, 401, reqToken("The access token is not DPoP-bound; present it with the Bearer scheme."), binding),
		req("token bound to another key", func(c *tctx) (string, []string) {
			tok := c.boundToken(resDPoPReq, c.keys.dpopOther, nil)
			return "DPoP " + tok, []string{c.proof(c.keys.dpopEd, resDPoPReq, tok, nil)}
		}, 401, reqToken("The access token is bound to another key than the DPoP proof key."), binding),
		req("malformed cnf", func(c *tctx) (string, []string) {
			tok := c.rs(resDPoPReq, map[string]any{"cnf": map[string]any{"jkt": "short"}})
			return "DPoP " + tok, []string{c.proof(c.keys.dpopEd, resDPoPReq, tok, nil)}
		}, 401, reqToken("The access token cnf claim is malformed."), binding),

		// ---- Replay (RFC 9449 §11.1), and the verified-token cache.
		{name: "dpop/required/the same proof twice: replayed", cfg: "dpop", authority: "dpop-req.example.com",
			prelude: true, dpopFn: dp(resDPoPReq, nil, nil), status: 401,
			www: reqProof("The DPoP proof was used before; send a new proof with every request."), counter: replayed},
		{name: "dpop/required/a new proof with the same token: allowed", cfg: "dpop", authority: "dpop-req.example.com",
			prelude: true, dpopFn: func(c *tctx) (string, []string) {
				calls++
				jti := "jti-" + string(rune('a'+calls))
				return dp(resDPoPReq, nil, func(_, cl map[string]any) { cl["jti"] = jti })(c)
			}, counter: allowed},
		{name: "dpop/required/a cache hit still checks the proof", cfg: "dpop", authority: "dpop-req.example.com",
			prelude: true, dpopFn: func(c *tctx) (string, []string) {
				calls++
				if calls%2 == 1 {
					return dp(resDPoPReq, nil, func(_, cl map[string]any) { cl["jti"] = "first" })(c)
				}
				return dp(resDPoPReq, nil, func(_, cl map[string]any) { cl["htm"] = "PUT" })(c)
			}, status: 401, www: reqProof("The DPoP proof htm does not match the request method."), counter: badProof},

		// ---- Nonces (RFC 9449 §8, §9).
		{name: "dpop/nonce/no nonce: use_dpop_nonce with a DPoP-Nonce", cfg: "dpop", authority: "dpop-nonce.example.com",
			dpopFn: dp(resDPoPNonce, nil, nil), status: 401,
			www:     `DPoP ` + defaultAlgs + `, error="use_dpop_nonce", error_description="The DPoP proof must carry the nonce this resource provides in the DPoP-Nonce header.", ` + mdNonce,
			counter: useNonce, reply: map[string]string{"dpop-nonce": "*"}},
		{name: "dpop/nonce/the challenge's nonce, then allowed", cfg: "dpop", authority: "dpop-nonce.example.com",
			prelude: true, preStatus: 401, dpopFn: func(c *tctx) (string, []string) {
				if c.nonce == "" {
					return dp(resDPoPNonce, nil, func(_, cl map[string]any) { cl["jti"] = "without" })(c)
				}
				return dp(resDPoPNonce, nil, nil)(c)
			}, counter: allowed, respHdr: map[string]string{"dpop-nonce": ""}},
		{name: "dpop/nonce/a nonce of the previous slot: allowed, with the next nonce", cfg: "dpop", authority: "dpop-nonce.example.com",
			dpopFn: func(c *tctx) (string, []string) {
				c.nonce = dpopNonceAt(resDPoPNonce, c.clock().Add(-dpop.DefaultNonceSlot))
				return dp(resDPoPNonce, nil, nil)(c)
			}, counter: allowed, respHdr: map[string]string{"dpop-nonce": "*", "access-control-expose-headers": ""}},
		{name: "dpop/nonce/the next nonce exposed to a browser client", cfg: "dpop", authority: "dpop-nonce.example.com",
			headers: [][2]string{{"origin", "https://dpop-nonce.example.com"}},
			dpopFn: func(c *tctx) (string, []string) {
				c.nonce = dpopNonceAt(resDPoPNonce, c.clock().Add(-dpop.DefaultNonceSlot))
				return dp(resDPoPNonce, nil, nil)(c)
			}, counter: allowed, respHdr: map[string]string{"dpop-nonce": "*", "access-control-expose-headers": "dpop-nonce"}},
		{name: "dpop/nonce/another resource's nonce", cfg: "dpop", authority: "dpop-nonce.example.com",
			dpopFn: func(c *tctx) (string, []string) {
				c.nonce = dpopNonceAt(resDPoPReq, c.clock())
				return dp(resDPoPNonce, nil, nil)(c)
			}, status: 401, counter: useNonce},

		// ---- Allowed: both schemes.
		{name: "dpop/allowed/no credentials: both challenges", cfg: "dpop", authority: "dpop-allow.example.com",
			status: 401, wwwAll: []string{`Bearer ` + mdAllow, `DPoP algs="EdDSA ES256", ` + mdAllow}, counter: missing},
		{name: "dpop/allowed/an unbound Bearer token passes", cfg: "dpop", authority: "dpop-allow.example.com",
			token: func(c *tctx) string { return c.rs(resDPoPAllow, nil) }, counter: allowed},
		{name: "dpop/allowed/a bound token with its proof passes", cfg: "dpop", authority: "dpop-allow.example.com",
			dpopFn: dp(resDPoPAllow, nil, nil), counter: allowed},
		{name: "dpop/allowed/a bound token as Bearer: downgrade refused", cfg: "dpop", authority: "dpop-allow.example.com",
			token: func(c *tctx) string { return c.boundToken(resDPoPAllow, c.keys.dpopEd, nil) }, status: 401,
			wwwAll:  []string{`DPoP algs="EdDSA ES256", error="invalid_token", error_description="The access token is DPoP-bound; present it with the DPoP scheme and a proof.", ` + mdAllow},
			counter: binding},
		{name: "dpop/allowed/a proof error: the DPoP challenge only", cfg: "dpop", authority: "dpop-allow.example.com",
			dpopFn: dp(resDPoPAllow, nil, func(_, cl map[string]any) { cl["htm"] = "DELETE" }), status: 401,
			wwwAll:  []string{`DPoP algs="EdDSA ES256", error="invalid_dpop_proof", error_description="The DPoP proof htm does not match the request method.", ` + mdAllow},
			counter: badProof},
		{name: "dpop/allowed/an expired token with the Bearer scheme: the Bearer challenge", cfg: "dpop", authority: "dpop-allow.example.com",
			token: func(c *tctx) string { return c.rs(resDPoPAllow, map[string]any{"exp": c.now.Unix() - 600}) }, status: 401,
			wwwAll:  []string{`Bearer error="invalid_token", error_description="The access token has expired.", ` + mdAllow},
			counter: policy.DeniedCounter(policy.ReasonExpired)},

		// ---- Off: Bearer only, and the downgrade rule still holds.
		{name: "dpop/off/a bound token as Bearer: downgrade refused", cfg: "dpop", authority: "dpop-off.example.com",
			token: func(c *tctx) string { return c.boundToken(resDPoPOff, c.keys.dpopEd, nil) }, status: 401,
			wwwAll:  []string{`Bearer error="invalid_token", error_description="The access token is DPoP-bound; present it with the DPoP scheme and a proof.", ` + mdOff},
			counter: binding},
		{name: "dpop/off/the DPoP scheme counts as no token", cfg: "dpop", authority: "dpop-off.example.com",
			dpopFn: dp(resDPoPOff, nil, nil), status: 401, wwwAll: []string{`Bearer ` + mdOff}, counter: missing},
		{name: "dpop/off/a token with another cnf method passes", cfg: "dpop", authority: "dpop-off.example.com",
			token: func(c *tctx) string {
				return c.rs(resDPoPOff, map[string]any{"cnf": map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}})
			}, counter: allowed},

		// ---- Metadata (RFC 9728 §2).
		{name: "dpop/metadata of a required resource", cfg: "dpop", authority: "dpop-req.example.com",
			path: "/.well-known/oauth-protected-resource/mcp", status: 200,
			body: `{"resource":"` + resDPoPReq + `","authorization_servers":["` + issCorp + `"],"scopes_supported":["mcp:tools"],"bearer_methods_supported":["header"],` +
				`"dpop_signing_alg_values_supported":["ES256","ES384","ES512","EdDSA","PS256","RS256"],"dpop_bound_access_tokens_required":true}`,
			counter: policy.CounterMetadata},
		{name: "dpop/metadata of an allowed resource", cfg: "dpop", authority: "dpop-allow.example.com",
			path: "/.well-known/oauth-protected-resource/mcp", status: 200,
			body: `{"resource":"` + resDPoPAllow + `","authorization_servers":["` + issCorp + `"],"bearer_methods_supported":["header"],` +
				`"dpop_signing_alg_values_supported":["EdDSA","ES256"],"dpop_bound_access_tokens_required":false}`,
			counter: policy.CounterMetadata},
		{name: "dpop/metadata of an off resource names no DPoP", cfg: "dpop", authority: "dpop-off.example.com",
			path: "/.well-known/oauth-protected-resource/mcp", status: 200,
			body:    `{"resource":"` + resDPoPOff + `","authorization_servers":["` + issCorp + `"],"bearer_methods_supported":["header"]}`,
			counter: policy.CounterMetadata},
	}
}

// TestDPoPMetrics: the replay set's statistics become the audguard.dpop.*
// metrics on the tick, natively and in the module; a configuration without
// DPoP defines none.
func TestDPoPMetrics(t *testing.T) {
	k := getKeys(t)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			c := &tctx{now: r.now, keys: k, live: r.name == "native"}
			func() { // one emulator at a time: reset before the next starts
				h := startHost(t, r, dpopConfig(k), nil, types.OnPluginStartStatusOK)
				defer h.reset()
				tok := c.boundToken(resDPoPReq, k.dpopEd, nil)
				headers := [][2]string{{":method", "GET"}, {":path", "/mcp"}, {":authority", "dpop-req.example.com"},
					{"authorization", "DPoP " + tok}, {"dpop", c.proof(k.dpopEd, resDPoPReq, tok, nil)}}
				for i, want := range []uint32{0, 401} {
					id := h.h.InitializeHttpContext()
					h.h.CallOnRequestHeaders(id, headers, true)
					got := uint32(0)
					if l := h.h.GetSentLocalResponse(id); l != nil {
						got = l.StatusCode
					}
					if got != want {
						t.Fatalf("request %d: status %d, want %d", i, got, want)
					}
					h.h.CompleteHttpContext(id)
				}
				h.h.Tick()
				if v, err := h.h.GetCounterMetric("audguard.dpop.replays"); err != nil || v != 1 {
					t.Errorf("audguard.dpop.replays = %d (%v), want 1", v, err)
				}
				if v, err := h.h.GetGaugeMetric("audguard.dpop.entries"); err != nil || v != 1 {
					t.Errorf("audguard.dpop.entries = %d (%v), want 1", v, err)
				}
				h.h.Tick() // nothing new: the counter does not move again
				if v, _ := h.h.GetCounterMetric("audguard.dpop.replays"); v != 1 {
					t.Errorf("after a second tick audguard.dpop.replays = %d, want 1", v)
				}
			}()

			plain := startHost(t, r, testConfig(k, "enforce", true), nil, types.OnPluginStartStatusOK)
			defer plain.reset()
			if _, err := plain.h.GetCounterMetric("audguard.dpop.replays"); err == nil {
				t.Errorf("audguard.dpop.replays is defined without a DPoP resource")
			}
		})
	}
}
