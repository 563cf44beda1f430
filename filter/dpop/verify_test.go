package dpop

import (
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// TestVerifyChecks holds, for every check of RFC 9449 §4.3 (and the size and shape checks
// around them), proofs that fail that check only; the first row is the valid proof they
// start from.
func TestVerifyChecks(t *testing.T) {
	testKeys(t)
	nonces, err := NewNonces(NonceConfig{Secret: []byte(strings.Repeat("s", 32)), Context: tgt})
	if err != nil {
		t.Fatal(err)
	}
	good, err := nonces.Issue(t0)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := nonces.Issue(t0.Add(-2 * DefaultNonceSlot))
	other, _ := NewNonces(NonceConfig{Secret: []byte(strings.Repeat("o", 32)), Context: tgt})
	foreign, _ := other.Issue(t0)
	otherContext, _ := NewNonces(NonceConfig{Secret: []byte(strings.Repeat("s", 32)), Context: "https://other.example.com/mcp"})
	foreignContext, _ := otherContext.Issue(t0)
	withNonce := func(n any) func(c map[string]any) {
		return func(c map[string]any) {
			if n == nil {
				delete(c, "nonce")
				return
			}
			c["nonce"] = n
		}
	}
	del := func(name string) func(m map[string]any) { return func(m map[string]any) { delete(m, name) } }
	set := func(name string, v any) func(m map[string]any) { return func(m map[string]any) { m[name] = v } }
	valid := mint(t, spec{})
	parts := strings.Split(valid, ".")

	cases := []struct {
		name  string
		proof func() string
		req   *Request // default baseReq
		nonce bool     // the verifier requires nonces
		algs  []jwtlite.Algorithm
		want  error
	}{
		{name: "valid", proof: func() string { return valid }},
		{name: "valid with nonce", nonce: true, proof: func() string { return mint(t, spec{claims: withNonce(good)}) }},

		// Before decoding.
		{name: "empty", proof: func() string { return "" }, want: ErrMissing},
		{name: "too large", proof: func() string {
			return mint(t, spec{claims: set("pad", strings.Repeat("x", DefaultMaxProofBytes))})
		}, want: ErrTooLarge},
		{name: "two proofs joined", proof: func() string { return valid + ", " + valid }, want: ErrMultiple},
		{name: "two proofs joined without space", proof: func() string { return valid + "," + valid }, want: ErrMultiple},

		// Step 2: a well-formed JWT.
		{name: "two parts", proof: func() string { return parts[0] + "." + parts[1] }, want: ErrMalformed},
		{name: "four parts", proof: func() string { return valid + ".x" }, want: ErrMalformed},
		{name: "padded base64", proof: func() string { return parts[0] + "=." + parts[1] + "." + parts[2] }, want: ErrMalformed},
		{name: "space inside", proof: func() string { return parts[0] + " ." + parts[1] + "." + parts[2] }, want: ErrMalformed},
		{name: "JWE-like five parts", proof: func() string { return valid + ".a.b" }, want: ErrMalformed},
		{name: "payload not JSON", proof: func() string { return mint(t, spec{rawClaims: "not json"}) }, want: ErrMalformed},
		{name: "payload an array", proof: func() string { return mint(t, spec{rawClaims: `["jti"]`}) }, want: ErrMalformed},
		{name: "duplicate claim", proof: func() string {
			return mint(t, spec{rawClaims: `{"jti":"a","jti":"b","htm":"POST","htu":"` + tgt + `","iat":1800000000,"ath":"` + TokenHash(accessTok) + `"}`})
		}, want: ErrMalformed},
		{name: "duplicate claim by escape", proof: func() string {
			return mint(t, spec{rawClaims: `{"jti":"a","j\u0074i":"b","htm":"POST","htu":"` + tgt + `","iat":1800000000,"ath":"` + TokenHash(accessTok) + `"}`})
		}, want: ErrMalformed},
		{name: "duplicate header member", proof: func() string {
			h := marshal(t, map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": publicJWK(p256)})
			return mint(t, spec{rawHeader: strings.Replace(h, `{`, `{"typ":"dpop+jwt",`, 1)})
		}, want: ErrMalformed},
		{name: "duplicate member inside jwk", proof: func() string {
			j := marshal(t, publicJWK(p256))
			j = strings.Replace(j, `{`, `{"x":"AAAA",`, 1)
			return mint(t, spec{rawHeader: `{"typ":"dpop+jwt","alg":"ES256","jwk":` + j + `}`})
		}, want: ErrMalformed},

		// Step 4: typ.
		{name: "typ missing", proof: func() string { return mint(t, spec{header: del("typ")}) }, want: ErrType},
		{name: "typ JWT", proof: func() string { return mint(t, spec{header: set("typ", "JWT")}) }, want: ErrType},
		{name: "typ at+jwt", proof: func() string { return mint(t, spec{header: set("typ", "at+jwt")}) }, want: ErrType},
		{name: "typ dpop", proof: func() string { return mint(t, spec{header: set("typ", "dpop")}) }, want: ErrType},
		{name: "typ not a string", proof: func() string { return mint(t, spec{header: set("typ", 1)}) }, want: ErrMalformed},

		// Step 5: alg.
		{name: "alg none", proof: func() string { return mint(t, spec{alg: "none", header: set("alg", "none")}) }, want: ErrAlgorithm},
		{name: "alg missing", proof: func() string { return mint(t, spec{header: del("alg")}) }, want: ErrAlgorithm},
		{name: "alg unknown", proof: func() string { return mint(t, spec{header: set("alg", "ES256K")}) }, want: ErrAlgorithm},
		{name: "alg HS256 (symmetric)", proof: func() string { return mint(t, spec{alg: jwtlite.HS256}) }, want: ErrAlgorithm},
		{name: "alg not in the list", algs: []jwtlite.Algorithm{jwtlite.EdDSA}, proof: func() string { return valid }, want: ErrAlgorithm},
		{name: "crit header", proof: func() string { return mint(t, spec{header: set("crit", []string{"exp"})}) }, want: ErrAlgorithm},

		// The jwk header (RFC 9449 §4.2).
		{name: "jwk missing", proof: func() string { return mint(t, spec{header: del("jwk")}) }, want: ErrNoKey},
		{name: "jwk a string", proof: func() string { return mint(t, spec{header: set("jwk", marshal(t, publicJWK(p256)))}) }, want: ErrNoKey},
		{name: "jwk under kid instead", proof: func() string {
			return mint(t, spec{header: func(h map[string]any) { delete(h, "jwk"); h["kid"] = "k1" }})
		}, want: ErrNoKey},

		// Step 7: no private key.
		{name: "EC jwk with d", proof: func() string { return mint(t, spec{header: set("jwk", privateJWK(p256))}) }, want: ErrPrivateKey},
		{name: "OKP jwk with d", proof: func() string {
			return mint(t, spec{alg: jwtlite.EdDSA, header: set("jwk", privateJWK(edKey))})
		}, want: ErrPrivateKey},
		{name: "RSA jwk with d, p, q", proof: func() string {
			return mint(t, spec{alg: jwtlite.PS256, header: set("jwk", privateJWK(rsaKey))})
		}, want: ErrPrivateKey},
		{name: "jwk with escaped d", proof: func() string {
			m := publicJWK(p256)
			j := strings.Replace(marshal(t, m), `{`, `{"\u0064":"AAAA",`, 1)
			return mint(t, spec{rawHeader: `{"typ":"dpop+jwt","alg":"ES256","jwk":` + j + `}`})
		}, want: ErrPrivateKey},
		{name: "oct jwk", proof: func() string {
			return mint(t, spec{header: set("jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"})})
		}, want: ErrPrivateKey},

		// The jwk must be a public key usable with alg.
		{name: "P-384 key with ES256", proof: func() string { return mint(t, spec{jwkKey: p384}) }, want: ErrKeyUnusable},
		{name: "OKP key with ES256", proof: func() string { return mint(t, spec{jwkKey: edKey}) }, want: ErrKeyUnusable},
		{name: "EC key with EdDSA", proof: func() string { return mint(t, spec{alg: jwtlite.EdDSA, jwkKey: p256}) }, want: ErrKeyUnusable},
		{name: "RSA 1024 bits", proof: func() string { return mint(t, spec{alg: jwtlite.RS256, key: rsaWeak}) }, want: ErrKeyUnusable},
		{name: "EC point off the curve", proof: func() string {
			return mint(t, spec{header: func(h map[string]any) {
				j := h["jwk"].(map[string]any)
				j["y"] = j["x"]
			}})
		}, want: ErrKeyUnusable},
		{name: "jwk use enc", proof: func() string {
			return mint(t, spec{header: func(h map[string]any) { h["jwk"].(map[string]any)["use"] = "enc" }})
		}, want: ErrKeyUnusable},
		{name: "jwk alg ES384 with alg ES256", proof: func() string {
			return mint(t, spec{header: func(h map[string]any) { h["jwk"].(map[string]any)["alg"] = "ES384" }})
		}, want: ErrKeyUnusable},
		{name: "jwk without kty", proof: func() string {
			return mint(t, spec{header: func(h map[string]any) { delete(h["jwk"].(map[string]any), "kty") }})
		}, want: ErrKeyUnusable},
		{name: "jwk x not base64url", proof: func() string {
			return mint(t, spec{header: func(h map[string]any) { h["jwk"].(map[string]any)["x"] = "a+b/" }})
		}, want: ErrKeyUnusable},

		// Step 6: the signature.
		{name: "signed by another key", proof: func() string { return mint(t, spec{key: p256b, jwkKey: p256}) }, want: ErrSignature},
		{name: "signature bit flipped", proof: func() string {
			return mint(t, spec{sig: func(s []byte) []byte { s[5] ^= 1; return s }})
		}, want: ErrSignature},
		{name: "signature empty", proof: func() string { return mint(t, spec{sig: func([]byte) []byte { return nil }}) }, want: ErrSignature},
		{name: "signature too short", proof: func() string {
			return mint(t, spec{sig: func(s []byte) []byte { return s[:63] }})
		}, want: ErrSignature},
		{name: "signature of other claims", proof: func() string {
			other := strings.Split(mint(t, spec{claims: set("htm", "GET")}), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}, want: ErrSignature},

		// jti (step 3, §11.1).
		{name: "jti missing", proof: func() string { return mint(t, spec{claims: del("jti")}) }, want: ErrJTI},
		{name: "jti empty", proof: func() string { return mint(t, spec{claims: set("jti", "")}) }, want: ErrJTI},
		{name: "jti a number", proof: func() string { return mint(t, spec{claims: set("jti", 12345)}) }, want: ErrJTI},
		{name: "jti null", proof: func() string { return mint(t, spec{claims: set("jti", nil)}) }, want: ErrJTI},
		{name: "jti too long", proof: func() string { return mint(t, spec{claims: set("jti", strings.Repeat("j", DefaultMaxJTIBytes+1))}) }, want: ErrJTI},

		// Step 8: htm.
		{name: "htm other method", proof: func() string { return mint(t, spec{claims: set("htm", "GET")}) }, want: ErrMethod},
		{name: "htm lower case", proof: func() string { return mint(t, spec{claims: set("htm", "post")}) }, want: ErrMethod},
		{name: "htm missing", proof: func() string { return mint(t, spec{claims: del("htm")}) }, want: ErrMethod},
		{name: "htm an array", proof: func() string { return mint(t, spec{claims: set("htm", []string{"POST"})}) }, want: ErrMethod},

		// Step 9: htu.
		{name: "htu other host", proof: func() string { return mint(t, spec{claims: set("htu", "https://evil.example.com/mcp")}) }, want: ErrTarget},
		{name: "htu other path", proof: func() string { return mint(t, spec{claims: set("htu", "https://mcp.example.com/other")}) }, want: ErrTarget},
		{name: "htu trailing slash", proof: func() string { return mint(t, spec{claims: set("htu", tgt+"/")}) }, want: ErrTarget},
		{name: "htu path case", proof: func() string { return mint(t, spec{claims: set("htu", "https://mcp.example.com/MCP")}) }, want: ErrTarget},
		{name: "htu http", proof: func() string { return mint(t, spec{claims: set("htu", "http://mcp.example.com/mcp")}) }, want: ErrTarget},
		{name: "htu other port", proof: func() string { return mint(t, spec{claims: set("htu", "https://mcp.example.com:8443/mcp")}) }, want: ErrTarget},
		{name: "htu with userinfo", proof: func() string { return mint(t, spec{claims: set("htu", "https://u@mcp.example.com/mcp")}) }, want: ErrTarget},
		{name: "htu relative", proof: func() string { return mint(t, spec{claims: set("htu", "/mcp")}) }, want: ErrTarget},
		{name: "htu missing", proof: func() string { return mint(t, spec{claims: del("htu")}) }, want: ErrTarget},
		{name: "htu a number", proof: func() string { return mint(t, spec{claims: set("htu", 1)}) }, want: ErrTarget},
		{name: "htu query in the path position", proof: func() string {
			return mint(t, spec{claims: set("htu", "https://mcp.example.com?/mcp")})
		}, want: ErrTarget},
		{name: "request target invalid", req: &Request{Method: "POST", Target: "mcp.example.com/mcp", AccessToken: accessTok},
			proof: func() string { return mint(t, spec{claims: set("htu", "mcp.example.com/mcp")}) }, want: ErrTarget},

		// Step 10: nonce, when required.
		{name: "nonce missing", nonce: true, proof: func() string { return valid }, want: ErrNonce},
		{name: "nonce expired", nonce: true, proof: func() string { return mint(t, spec{claims: withNonce(old)}) }, want: ErrNonce},
		{name: "nonce of another secret", nonce: true, proof: func() string { return mint(t, spec{claims: withNonce(foreign)}) }, want: ErrNonce},
		{name: "nonce of another context", nonce: true, proof: func() string { return mint(t, spec{claims: withNonce(foreignContext)}) }, want: ErrNonce},
		{name: "nonce garbage", nonce: true, proof: func() string { return mint(t, spec{claims: withNonce("abc")}) }, want: ErrNonce},
		{name: "nonce a number", nonce: true, proof: func() string { return mint(t, spec{claims: withNonce(42)}) }, want: ErrNonce},

		// Step 11: iat.
		{name: "iat too old", proof: func() string { return mint(t, spec{claims: set("iat", t0.Add(-DefaultMaxAge-time.Second).Unix())}) }, want: ErrIssuedAt},
		{name: "iat too new", proof: func() string { return mint(t, spec{claims: set("iat", t0.Add(DefaultMaxFuture+time.Second).Unix())}) }, want: ErrIssuedAt},
		{name: "iat missing", proof: func() string { return mint(t, spec{claims: del("iat")}) }, want: ErrIssuedAt},
		{name: "iat a string", proof: func() string { return mint(t, spec{claims: set("iat", "1800000000")}) }, want: ErrIssuedAt},
		{name: "iat negative", proof: func() string { return mint(t, spec{claims: set("iat", -1)}) }, want: ErrIssuedAt},

		// Step 12: ath.
		{name: "ath missing", proof: func() string { return mint(t, spec{claims: del("ath")}) }, want: ErrTokenHash},
		{name: "ath of another token", proof: func() string { return mint(t, spec{claims: set("ath", TokenHash("other"))}) }, want: ErrTokenHash},
		{name: "ath padded", proof: func() string { return mint(t, spec{claims: set("ath", TokenHash(accessTok)+"=")}) }, want: ErrTokenHash},
		{name: "ath hex", proof: func() string {
			return mint(t, spec{claims: set("ath", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")})
		}, want: ErrTokenHash},
		{name: "ath a number", proof: func() string { return mint(t, spec{claims: set("ath", 1)}) }, want: ErrTokenHash},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Algorithms: c.algs}
			if c.nonce {
				cfg.Nonce = nonces
			}
			v := newVerifier(t, cfg)
			req := baseReq
			if c.req != nil {
				req = *c.req
			}
			p, err := v.Verify(c.proof(), req, t0)
			if err != c.want {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
			if err != nil {
				if Reason(err) == "" || Code(err) == "" {
					t.Errorf("%v has no reason or code", err)
				}
				if p.JKT != "" || p.JTI != nil {
					t.Errorf("a refused proof returned %+v", p)
				}
				return
			}
			if len(p.JKT) != ThumbprintLen || len(p.JTI) == 0 || !p.IssuedAt.Equal(t0) || p.Target != tgt ||
				!p.ReplayUntil.Equal(t0.Add(DefaultMaxAge)) || p.ReplayKey == [32]byte{} {
				t.Errorf("accepted proof: %+v", p)
			}
		})
	}
}

// TestVerifyAccepts: variations RFC 9449 allows are accepted.
func TestVerifyAccepts(t *testing.T) {
	testKeys(t)
	set := func(name string, v any) func(m map[string]any) { return func(m map[string]any) { m[name] = v } }
	cases := []struct {
		name string
		s    spec
		req  *Request
		now  time.Time
	}{
		{name: "ES384", s: spec{alg: jwtlite.ES384}},
		{name: "ES512", s: spec{alg: jwtlite.ES512}},
		{name: "EdDSA", s: spec{alg: jwtlite.EdDSA}},
		{name: "Ed25519 (RFC 9864)", s: spec{alg: jwtlite.Ed25519}},
		{name: "RS256", s: spec{alg: jwtlite.RS256}},
		{name: "RS512", s: spec{alg: jwtlite.RS512}},
		{name: "PS256", s: spec{alg: jwtlite.PS256}},
		{name: "PS384", s: spec{alg: jwtlite.PS384}},
		{name: "typ with application/ prefix", s: spec{header: set("typ", "application/dpop+jwt")}},
		{name: "typ in upper case", s: spec{header: set("typ", "DPoP+JWT")}},
		{name: "jwk with kid, alg and use", s: spec{header: func(h map[string]any) {
			j := h["jwk"].(map[string]any)
			j["kid"], j["alg"], j["use"] = "k1", "ES256", "sig"
		}}},
		{name: "extra header and claims", s: spec{
			header: set("x-extra", map[string]any{"a": 1}),
			claims: func(c map[string]any) { c["extra"] = []int{1, 2}; c["exp"] = 1 },
		}},
		{name: "htu with query and fragment", s: spec{claims: set("htu", tgt+"?session=1#frag")}},
		{name: "htu with default port and upper-case host", s: spec{claims: set("htu", "HTTPS://MCP.Example.COM:443/mcp")}},
		{name: "htu with dot segments and encoded unreserved", s: spec{claims: set("htu", "https://mcp.example.com/a/../%6Dcp")}},
		{name: "root target, htu without slash", s: spec{claims: set("htu", "https://mcp.example.com")},
			req: &Request{Method: "POST", Target: "https://mcp.example.com/", AccessToken: accessTok}},
		{name: "non-canonical request target", s: spec{},
			req: &Request{Method: "POST", Target: "https://MCP.example.com:443/mcp", AccessToken: accessTok}},
		{name: "no access token, no ath", s: spec{claims: func(c map[string]any) { delete(c, "ath") }},
			req: &Request{Method: "POST", Target: tgt}},
		{name: "no access token, ath ignored", s: spec{claims: set("ath", "whatever")},
			req: &Request{Method: "POST", Target: tgt}},
		{name: "fractional iat", s: spec{claims: set("iat", 1_800_000_000.25)}},
		{name: "iat at the oldest edge", s: spec{claims: set("iat", t0.Add(-DefaultMaxAge).Unix())}},
		{name: "iat at the newest edge", s: spec{claims: set("iat", t0.Add(DefaultMaxFuture).Unix())}},
		{name: "escaped claim values", s: spec{rawClaims: `{"jti":"a\u0062c","htm":"P\u004fST","htu":"https:\/\/mcp.example.com\/mcp","iat":1800000000,"ath":"` + TokenHash(accessTok) + `"}`}},
		{name: "method GET", s: spec{claims: set("htm", "GET")}, req: &Request{Method: "GET", Target: tgt, AccessToken: accessTok}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newVerifier(t, Config{})
			req := baseReq
			if c.req != nil {
				req = *c.req
			}
			now := c.now
			if now.IsZero() {
				now = t0
			}
			p, err := v.Verify(mint(t, c.s), req, now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			alg := c.s.alg
			if alg == "" {
				alg = jwtlite.ES256
			}
			if p.Alg != alg {
				t.Errorf("Alg %s, want %s", p.Alg, alg)
			}
			want, err := Thumbprint([]byte(marshal(t, publicJWK(defaultKey(alg).(crypto.Signer)))))
			if err != nil || p.JKT != want {
				t.Errorf("JKT %q, want %q (%v)", p.JKT, want, err)
			}
		})
	}
}

// The RFC 9449 examples: the proof of Figure 2 (a token request, §4.1), the resource request
// proof of Figure 13 (§7.1) with its access token, and the key's thumbprint of §6.1.
const (
	rfcHeader      = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
	rfcTokenProof  = rfcHeader + ".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfcResProof    = rfcHeader + ".eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
	rfcAccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	rfcATH         = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
	rfcJKT         = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

func TestRFC9449Examples(t *testing.T) {
	if got := TokenHash(rfcAccessToken); got != rfcATH {
		t.Errorf("TokenHash = %s, want %s (RFC 9449 §7.1)", got, rfcATH)
	}
	v := newVerifier(t, Config{})
	p, err := v.Verify(rfcTokenProof, Request{Method: "POST", Target: "https://server.example.com/token"}, time.Unix(1562262616, 0))
	if err != nil || p.JKT != rfcJKT || string(p.JTI) != "-BwC3ESc6acc2lTc" || p.Alg != jwtlite.ES256 {
		t.Fatalf("Figure 2 proof: %v %+v", err, p)
	}
	res := Request{Method: "GET", Target: "https://resource.example.org/protectedresource", AccessToken: rfcAccessToken}
	p, err = v.Verify(rfcResProof, res, time.Unix(1562262618, 0))
	if err != nil || p.JKT != rfcJKT || string(p.JTI) != "e1j3V_bKic8-LAEB" {
		t.Fatalf("Figure 13 proof: %v %+v", err, p)
	}
	cnf := []byte(`{"jkt":"` + rfcJKT + `"}`) // RFC 9449 Figure 7
	if err := CheckDPoP(cnf, &p); err != nil {
		t.Errorf("CheckDPoP: %v", err)
	}
	if err := CheckBinding(rfcJKT, p); err != nil {
		t.Errorf("CheckBinding: %v", err)
	}
	// Another token, the same proof: ath fails; a minute later: iat fails.
	res.AccessToken = "other"
	if _, err := v.Verify(rfcResProof, res, time.Unix(1562262618, 0)); err != ErrTokenHash {
		t.Errorf("other token: %v", err)
	}
	res.AccessToken = rfcAccessToken
	if _, err := v.Verify(rfcResProof, res, time.Unix(1562262618, 0).Add(2*DefaultMaxAge)); err != ErrIssuedAt {
		t.Errorf("late: %v", err)
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"empty algorithm list", Config{Algorithms: []jwtlite.Algorithm{}}},
		{"none", Config{Algorithms: []jwtlite.Algorithm{"none"}}},
		{"HS256", Config{Algorithms: []jwtlite.Algorithm{jwtlite.ES256, jwtlite.HS256}}},
		{"HS512", Config{Algorithms: []jwtlite.Algorithm{jwtlite.HS512}}},
		{"unknown", Config{Algorithms: []jwtlite.Algorithm{"ES256K"}}},
		{"lower-case name", Config{Algorithms: []jwtlite.Algorithm{"es256"}}},
		{"MaxAge too short", Config{MaxAge: time.Millisecond}},
		{"MaxAge too long", Config{MaxAge: time.Hour}},
		{"MaxFuture negative", Config{MaxFuture: -time.Second}},
		{"MaxProofBytes small", Config{MaxProofBytes: 100}},
		{"MaxJTIBytes large", Config{MaxJTIBytes: 1 << 20}},
		{"KeyCacheSize negative", Config{KeyCacheSize: -1}},
	}
	for _, c := range cases {
		if v, err := NewVerifier(c.cfg); !errors.Is(err, ErrConfig) || v != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	v := newVerifier(t, Config{})
	if c := v.Config(); c.MaxAge != DefaultMaxAge || c.MaxFuture != DefaultMaxFuture || c.MaxProofBytes != DefaultMaxProofBytes ||
		c.MaxJTIBytes != DefaultMaxJTIBytes || c.KeyCacheSize != DefaultKeyCacheSize || c.Algorithms != nil {
		t.Errorf("defaults: %+v", c)
	}
}

func TestOneProofAndTarget(t *testing.T) {
	if _, err := OneProof(nil); err != ErrMissing {
		t.Error(err)
	}
	if _, err := OneProof([]string{""}); err != ErrMissing {
		t.Error(err)
	}
	if _, err := OneProof([]string{"a", "b"}); err != ErrMultiple {
		t.Error(err)
	}
	if p, err := OneProof([]string{"a.b.c"}); err != nil || p != "a.b.c" {
		t.Error(p, err)
	}
	for _, c := range []struct{ origin, path, want string }{
		{"https://mcp.example.com", "/mcp", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com", "/mcp?x=1", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com", "/mcp#f", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com", "", "https://mcp.example.com/"},
		{"https://mcp.example.com:8443", "/?q", "https://mcp.example.com:8443/"},
	} {
		if got := Target(c.origin, c.path); got != c.want {
			t.Errorf("Target(%q, %q) = %q, want %q", c.origin, c.path, got, c.want)
		}
	}
}

// TestVerifierCaches: the key cache and the target cache never confuse keys, algorithms or
// targets.
func TestVerifierCaches(t *testing.T) {
	testKeys(t)
	v := newVerifier(t, Config{KeyCacheSize: 2})
	keys := []any{p256, p256b, p384, edKey}
	algFor := []jwtlite.Algorithm{jwtlite.ES256, jwtlite.ES256, jwtlite.ES384, jwtlite.EdDSA}
	for round := 0; round < 3; round++ {
		for i, k := range keys {
			p, err := v.Verify(mint(t, spec{alg: algFor[i], key: k}), baseReq, t0)
			if err != nil {
				t.Fatalf("round %d key %d: %v", round, i, err)
			}
			if want, _ := Thumbprint([]byte(marshal(t, publicJWK(k.(crypto.Signer))))); p.JKT != want {
				t.Fatalf("round %d key %d: JKT %s, want %s", round, i, p.JKT, want)
			}
		}
	}
	if len(v.keys) > 2 || len(v.keyRing) > 2 {
		t.Errorf("key cache holds %d keys, ring %d; bound 2", len(v.keys), len(v.keyRing))
	}
	// A cached key must not verify a signature by another key, and a key cached for ES256
	// is not taken for another alg.
	if _, err := v.Verify(mint(t, spec{key: p256b, jwkKey: p256}), baseReq, t0); err != ErrSignature {
		t.Errorf("other signer with cached jwk: %v", err)
	}
	if _, err := v.Verify(mint(t, spec{alg: jwtlite.ES384, key: p256}), baseReq, t0); err != ErrKeyUnusable {
		t.Errorf("cached ES256 key with ES384: %v", err)
	}
	// Targets alternate: each proof matches only its own.
	a, b := "https://a.example.com/mcp", "https://b.example.com/mcp"
	set := func(u string) func(m map[string]any) { return func(m map[string]any) { m["htu"] = u } }
	for i := 0; i < 4; i++ {
		pa := mint(t, spec{claims: set(a)})
		if _, err := v.Verify(pa, Request{Method: "POST", Target: a, AccessToken: accessTok}, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(pa, Request{Method: "POST", Target: b, AccessToken: accessTok}, t0); err != ErrTarget {
			t.Fatalf("proof for a at b: %v", err)
		}
	}
}
