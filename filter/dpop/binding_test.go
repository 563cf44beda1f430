package dpop

import (
	"strings"
	"testing"

	"github.com/audguard/audguard/jwtlite"
)

func TestBinding(t *testing.T) {
	testKeys(t)
	v := newVerifier(t, Config{})
	p, err := v.Verify(mint(t, spec{}), baseReq, t0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Thumbprint([]byte(marshal(t, publicJWK(p256b))))
	if err != nil {
		t.Fatal(err)
	}
	jkt := func(s string) []byte { return []byte(`{"jkt":"` + s + `"}`) }
	cases := []struct {
		name         string
		cnf          []byte
		dpop, bearer error
	}{
		{"bound to the proof key", jkt(p.JKT), nil, ErrDowngrade},
		{"bound with other members", []byte(`{"x5t#S256":"abc","jkt":"` + p.JKT + `"}`), nil, ErrDowngrade},
		{"bound with an escaped jkt", []byte(`{"jkt":"\u00` + strings.ToLower(hex2(p.JKT[0])) + p.JKT[1:] + `"}`), nil, ErrDowngrade},
		{"bound to another key", jkt(other), ErrKeyMismatch, ErrDowngrade},
		{"no cnf", nil, ErrNotBound, nil},
		{"cnf without jkt", []byte(`{"x5t#S256":"abc"}`), ErrNotBound, nil},
		{"cnf empty object", []byte(`{}`), ErrNotBound, nil},
		{"cnf not an object", notObject, ErrConfirmation, ErrConfirmation},
		{"cnf an array", []byte(`["jkt"]`), ErrConfirmation, ErrConfirmation},
		{"jkt a number", []byte(`{"jkt":1}`), ErrConfirmation, ErrConfirmation},
		{"jkt empty", jkt(""), ErrConfirmation, ErrConfirmation},
		{"jkt too short", jkt(p.JKT[:42]), ErrConfirmation, ErrConfirmation},
		{"jkt padded", jkt(p.JKT + "="), ErrConfirmation, ErrConfirmation},
		{"jkt hex of the digest", jkt(strings.Repeat("ab", 32)), ErrConfirmation, ErrConfirmation},
		{"jkt twice", []byte(`{"jkt":"` + other + `","jkt":"` + p.JKT + `"}`), ErrConfirmation, ErrConfirmation},
	}
	for _, c := range cases {
		if err := CheckDPoP(c.cnf, &p); err != c.dpop {
			t.Errorf("%s: CheckDPoP = %v, want %v", c.name, err, c.dpop)
		}
		if err := CheckBearer(c.cnf); err != c.bearer {
			t.Errorf("%s: CheckBearer = %v, want %v", c.name, err, c.bearer)
		}
		got, bound, err := ParseConfirmation(c.cnf)
		switch {
		case c.bearer == ErrConfirmation:
			if err != ErrConfirmation || bound || got != "" {
				t.Errorf("%s: ParseConfirmation = %q %v %v", c.name, got, bound, err)
			}
		case c.bearer == ErrDowngrade:
			if err != nil || !bound || len(got) != ThumbprintLen {
				t.Errorf("%s: ParseConfirmation = %q %v %v", c.name, got, bound, err)
			}
		default:
			if err != nil || bound || got != "" {
				t.Errorf("%s: ParseConfirmation = %q %v %v", c.name, got, bound, err)
			}
		}
	}
	if err := CheckBinding(p.JKT, p); err != nil {
		t.Error(err)
	}
	for _, s := range []string{other, p.JKT[:42], p.JKT + "A", strings.ToLower(p.JKT)} {
		if s == p.JKT {
			continue
		}
		if err := CheckBinding(s, p); err != ErrKeyMismatch {
			t.Errorf("CheckBinding(%q) = %v", s, err)
		}
	}
	if err := CheckBinding("", p); err != ErrNotBound {
		t.Error(err)
	}
}

func hex2(b byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// TestCnfFromClaims: Cnf takes the claim from verified claims, as the glue will.
func TestCnfFromClaims(t *testing.T) {
	claims := func(s string) *jwtlite.Claims {
		c, err := jwtlite.ParseClaims([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return &c
	}
	jkt := rfcJKT
	bound := claims(`{"iss":"i","cnf":{"jkt":"` + jkt + `"}}`)
	if err := CheckBearer(Cnf(bound)); err != ErrDowngrade {
		t.Errorf("bound token as Bearer: %v", err)
	}
	if err := CheckBinding(jkt, Proof{JKT: jkt}); err != nil {
		t.Error(err)
	}
	p := Proof{JKT: jkt}
	if err := CheckDPoP(Cnf(bound), &p); err != nil {
		t.Errorf("bound token with its proof: %v", err)
	}
	for _, c := range []struct {
		claims      string
		bearer, dpo error
	}{
		{`{"iss":"i"}`, nil, ErrNotBound},
		{`{"iss":"i","cnf":null}`, ErrConfirmation, ErrConfirmation},
		{`{"iss":"i","cnf":"{\"jkt\":\"x\"}"}`, ErrConfirmation, ErrConfirmation},
		{`{"iss":"i","cnf":{}}`, nil, ErrNotBound},
		{`{"iss":"i","c\u006ef":{"jkt":"` + jkt + `"}}`, ErrDowngrade, nil},
	} {
		cl := claims(c.claims)
		if err := CheckBearer(Cnf(cl)); err != c.bearer {
			t.Errorf("%s: CheckBearer = %v, want %v", c.claims, err, c.bearer)
		}
		if err := CheckDPoP(Cnf(cl), &p); err != c.dpo {
			t.Errorf("%s: CheckDPoP = %v, want %v", c.claims, err, c.dpo)
		}
	}
}

func TestReasonsAndCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range denials {
		if d.reason == "" || seen[d.reason] {
			t.Errorf("%v: reason %q empty or repeated", d.err, d.reason)
		}
		seen[d.reason] = true
		if Reason(d.err) != d.reason || Code(d.err) != d.code {
			t.Errorf("%v: %q %q", d.err, Reason(d.err), Code(d.err))
		}
	}
	if Code(ErrNonce) != CodeUseNonce || Code(ErrDowngrade) != CodeInvalidToken || Code(ErrSignature) != CodeInvalidProof {
		t.Error("codes")
	}
	if Reason(nil) != "" || Reason(ErrConfig) != "" || Code(nil) != "" {
		t.Error("nil or config error has a reason")
	}
}
