package jwtlite

import (
	"testing"
	"time"
)

// FuzzParse: Parse never panics, and success implies an implemented Header.Alg and a
// signing input that is a prefix of the token.
func FuzzParse(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln")
	var p Parser
	var tok Token
	f.Fuzz(func(t *testing.T, token string) {
		if err := p.Parse(token, &tok); err != nil {
			if Reason(err) == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		if _, ok := ParseAlgorithm(string(tok.Header.Alg)); !ok {
			t.Fatalf("accepted alg %q", tok.Header.Alg)
		}
		if len(tok.SigningInput) > len(token) || string(tok.SigningInput) != token[:len(tok.SigningInput)] {
			t.Fatal("signing input is not a prefix of the token")
		}
	})
}

// FuzzParseKeySet: ParseKeySet never panics; success means at least one usable key, each
// bound to an implemented algorithm, and any algorithms allowlist respected.
func FuzzParseKeySet(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`), "")
	f.Fuzz(func(t *testing.T, jwks []byte, alg string) {
		var algs []Algorithm
		if alg != "" {
			algs = []Algorithm{Algorithm(alg)}
		}
		ks, _, err := ParseKeySet(jwks, algs)
		if err != nil {
			return
		}
		if len(ks.Keys) == 0 {
			t.Fatal("success without keys")
		}
		for _, k := range ks.Keys {
			if _, ok := ParseAlgorithm(string(k.Alg)); !ok {
				t.Fatalf("bound to %q", k.Alg)
			}
			if algs != nil && !listed(k.Alg, algs) {
				t.Fatalf("bound %q outside %q", k.Alg, algs)
			}
			_ = k.Verify(k.Alg, []byte("a.b"), []byte("sig"))
		}
	})
}

// FuzzClaims: every accessor copes with any claims object that Parse accepts.
func FuzzClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"x","aud":["a","b"],"exp":1,"scope":"a b"}`))
	var p Parser
	var tok Token
	hdr := b64([]byte(`{"alg":"EdDSA"}`))
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, claims []byte) {
		if p.Parse(hdr+"."+b64(claims)+".", &tok) != nil {
			return
		}
		c := &tok.Claims
		_ = c.EachAudience(func([]byte) bool { return true })
		c.EachScope(func([]byte) bool { return true })
		_, _ = c.Issuer()
		_ = c.IssuerPresent()
		_, _ = c.Expiry()
		if err := c.CheckTime(now, time.Minute); err != nil && Reason(err) == "" {
			t.Fatalf("CheckTime error without reason: %v", err)
		}
		for _, name := range []string{"iss", "aud", "exp", "sub", "scope", "scp", "a", ""} {
			_ = c.Has(name)
			_, _ = c.HeaderValue(name, nil)
		}
		cl := c.Clone()
		_ = cl.EachAudience(func([]byte) bool { return true })
	})
}
