package jwtlite

import "testing"

func TestHeaderJSONAndIssuedAt(t *testing.T) {
	header := `{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}`
	var p Parser
	var tok Token
	if err := p.Parse(b64([]byte(header))+"."+b64([]byte(`{"iat":1}`))+".c2ln", &tok); err != nil {
		t.Fatal(err)
	}
	if string(p.HeaderJSON()) != header {
		t.Errorf("HeaderJSON = %s", p.HeaderJSON())
	}
	if n := testing.AllocsPerRun(10, func() { _ = p.HeaderJSON(); _, _ = tok.Claims.IssuedAt() }); n != 0 {
		t.Errorf("%v allocations", n)
	}
	cases := []struct {
		claims string
		iat    float64
		ok     bool
	}{
		{`{"iat":1700000000}`, 1700000000, true},
		{`{"iat":1700000000.5}`, 1700000000.5, true},
		{`{"iat":0}`, 0, true},
		{`{}`, 0, false},
		{`{"iat":null}`, 0, false},
		{`{"iat":"1700000000"}`, 0, false},
		{`{"iat":-1}`, 0, false},
		{`{"iat":1e300}`, 0, false},
	}
	for _, c := range cases {
		iat, ok := claimsOf(t, c.claims).IssuedAt()
		if ok != c.ok || ok && iat != c.iat {
			t.Errorf("%s: IssuedAt = %v, %v", c.claims, iat, ok)
		}
	}
}
