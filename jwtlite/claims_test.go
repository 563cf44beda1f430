package jwtlite

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// claimsOf parses a claims JSON text through a minimal token.
func claimsOf(t testing.TB, claims string) *Claims {
	t.Helper()
	var p Parser
	tok := new(Token)
	if err := p.Parse(b64([]byte(`{"alg":"EdDSA"}`))+"."+b64([]byte(claims))+".", tok); err != nil {
		t.Fatalf("parse %s: %v", claims, err)
	}
	return &tok.Claims
}

func TestCheckTime(t *testing.T) {
	const now = 1_700_000_000
	n := time.Unix(now, 0)
	skew := 60 * time.Second
	cases := []struct {
		claims string
		now    time.Time
		want   error
	}{
		{`{"exp":1700000100}`, n, nil},
		{`{}`, n, ErrExpired},
		{`{"exp":null}`, n, ErrExpired},
		{`{"exp":"1700000100"}`, n, ErrExpired},
		{`{"exp":true}`, n, ErrExpired},
		{`{"exp":-1}`, n, ErrExpired},
		{`{"exp":-0}`, n, ErrExpired},
		{`{"exp":1e400}`, n, ErrExpired},
		{`{"exp":9007199254740992}`, n, ErrExpired},     // 2^53
		{`{"exp":9007199254740991}`, n, nil},            // 2^53-1
		{`{"exp":9.007199254740992e15}`, n, ErrExpired}, // 2^53 with an exponent
		{`{"exp":1.7000001e9}`, n, nil},
		{`{"exp":1700000000.5}`, n, nil},                                            // fraction: within skew anyway
		{`{"exp":1699999940}`, n, ErrExpired},                                       // now == exp+skew: expired
		{`{"exp":1699999940}`, n.Add(-time.Nanosecond), nil},                        // just before
		{`{"exp":1699999940.5}`, n, nil},                                            // fractional exp+skew after now
		{`{"exp":1699999939.5}`, n, ErrExpired},                                     // fractional exp+skew before now
		{`{"exp":1700000100,"nbf":1700000060}`, n, nil},                             // nbf == now+skew
		{`{"exp":1700000100,"nbf":1700000061}`, n, ErrNotYetValid},                  // nbf > now+skew
		{`{"exp":1700000100,"nbf":"0"}`, n, ErrNotYetValid},                         // invalid nbf
		{`{"exp":1700000100,"nbf":null}`, n, ErrNotYetValid},                        // null nbf
		{`{"exp":1700000100,"iat":1700000060}`, n, nil},                             // iat == now+skew
		{`{"exp":1700000100,"iat":1700000060.001}`, n, ErrIssuedInFuture},           // iat just past
		{`{"exp":1700000100,"iat":-5}`, n, ErrIssuedInFuture},                       // invalid iat
		{`{"exp":1700000100,"iat":0}`, n, nil},                                      // zero is fine
		{`{"exp":1,"nbf":9e15,"iat":9e15}`, n, ErrExpired},                          // order: exp first
		{`{"exp":1700000100,"nbf":1800000000,"iat":1800000000}`, n, ErrNotYetValid}, // then nbf
	}
	for _, c := range cases {
		t.Run(c.claims, func(t *testing.T) {
			err := claimsOf(t, c.claims).CheckTime(c.now, skew)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// Without skew the boundary moves.
	if err := claimsOf(t, `{"exp":1700000000}`).CheckTime(n, 0); !errors.Is(err, ErrExpired) {
		t.Errorf("exp == now without skew: %v", err)
	}
	if exp, ok := claimsOf(t, `{"exp":12.5}`).Expiry(); !ok || exp != 12.5 {
		t.Errorf("Expiry %v %v", exp, ok)
	}
	if _, ok := claimsOf(t, `{"exp":"12"}`).Expiry(); ok {
		t.Error("Expiry of a string")
	}
}

func TestEachAudience(t *testing.T) {
	cases := []struct {
		claims string
		want   []string // nil: ErrWrongAudience
	}{
		{`{"aud":"https://a"}`, []string{"https://a"}},
		{`{"aud":["https://a","https://b"]}`, []string{"https://a", "https://b"}},
		{`{"aud":["https:\/\/a","\u0062"]}`, []string{"https://a", "b"}},
		{`{"aud":""}`, []string{""}},
		{`{"aud":[""]}`, []string{""}},
		{`{}`, nil},
		{`{"aud":null}`, nil},
		{`{"aud":[]}`, nil},
		{`{"aud":["a",1]}`, nil},
		{`{"aud":["a",null]}`, nil},
		{`{"aud":["a",["b"]]}`, nil},
		{`{"aud":1}`, nil},
		{`{"aud":{"a":"b"}}`, nil},
		{`{"aud":true}`, nil},
	}
	for _, c := range cases {
		t.Run(c.claims, func(t *testing.T) {
			var got []string
			err := claimsOf(t, c.claims).EachAudience(func(a []byte) bool { got = append(got, string(a)); return true })
			if c.want == nil {
				if !errors.Is(err, ErrWrongAudience) || got != nil {
					t.Fatalf("got %q, %v; want ErrWrongAudience and no calls", got, err)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
	// Stops when fn returns false.
	n := 0
	_ = claimsOf(t, `{"aud":["a","b","c"]}`).EachAudience(func([]byte) bool { n++; return false })
	if n != 1 {
		t.Errorf("called %d times after false", n)
	}
	// Many escaped values reuse the scratch buffer: zero allocations after warm-up.
	vals := make([]string, 32)
	for i := range vals {
		vals[i] = `"https:\/\/r` + strings.Repeat(`\u0078`, i) + `"`
	}
	c := claimsOf(t, `{"aud":[`+strings.Join(vals, ",")+`]}`)
	count := func() {
		m := 0
		_ = c.EachAudience(func([]byte) bool { m++; return true })
		if m != 32 {
			t.Fatal(m)
		}
	}
	count()
	if a := testing.AllocsPerRun(50, count); a != 0 {
		t.Errorf("escaped audiences: %v allocations", a)
	}
}

func TestEachScope(t *testing.T) {
	cases := []struct{ claims, want string }{
		{`{"scope":"a b  c "}`, "a|b|c"},
		{`{"scope":" "}`, ""},
		{`{"scope":"a\u0020b"}`, "a|b"},
		{`{"scope":"a","scp":["b"]}`, "a"},
		{`{"scope":null,"scp":["b"]}`, ""}, // "scope" present: "scp" not consulted
		{`{"scope":["a"],"scp":["b"]}`, ""},
		{`{"scope":1}`, ""},
		{`{"scp":["a","b c"]}`, "a|b c"},
		{`{"scp":["a",""]}`, "a"},
		{`{"scp":"a b"}`, "a|b"},
		{`{"scp":["a",1]}`, ""},
		{`{"scp":{}}`, ""},
		{`{}`, ""},
	}
	for _, c := range cases {
		t.Run(c.claims, func(t *testing.T) {
			var got []string
			claimsOf(t, c.claims).EachScope(func(s []byte) bool { got = append(got, string(s)); return true })
			if strings.Join(got, "|") != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	n := 0
	claimsOf(t, `{"scope":"a b c"}`).EachScope(func([]byte) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("did not stop: %d", n)
	}
}

func TestHeaderValueAndHas(t *testing.T) {
	c := claimsOf(t, `{"s":"v\u00e9\"","e":"","n":12.5e3,"i":-1,"t":true,"f":false,"z":null,`+
		`"a":["x","y\/z"],"one":["x"],"empty":[],"mixed":["x",1],"nums":[1,2],"o":{"k":"v"},"\u0071":"q"}`)
	cases := []struct {
		name, want string
		ok, has    bool
	}{
		{"s", "v\u00e9\"", true, true},
		{"e", "", true, true},
		{"n", "12.5e3", true, true},
		{"i", "-1", true, true},
		{"t", "true", true, true},
		{"f", "false", true, true},
		{"z", "", false, false},
		{"a", "x y/z", true, true},
		{"one", "x", true, true},
		{"empty", "", false, true},
		{"mixed", "", false, true},
		{"nums", "", false, true},
		{"o", "", false, true},
		{"q", "q", true, true},
		{"missing", "", false, false},
	}
	for _, tc := range cases {
		got, ok := c.HeaderValue(tc.name, []byte("pre:"))
		if ok != tc.ok || (ok && string(got) != "pre:"+tc.want) || (!ok && string(got) != "pre:") {
			t.Errorf("HeaderValue(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
		if c.Has(tc.name) != tc.has {
			t.Errorf("Has(%q) = %v", tc.name, !tc.has)
		}
	}
}

func TestIssuerAndClone(t *testing.T) {
	var p Parser
	var tok Token
	mk := func(claims string) string {
		return b64([]byte(`{"alg":"EdDSA"}`)) + "." + b64([]byte(claims)) + "."
	}
	if err := p.Parse(mk(`{"iss":"https:\/\/issuer","aud":["a"],"exp":5,"scope":"s"}`), &tok); err != nil {
		t.Fatal(err)
	}
	clone := tok.Claims.Clone()
	if err := p.Parse(mk(`{"iss":"zzzzzzzzzzzzzzzz","aud":"bbbbbbbbbbbb","exp":7}`), &tok); err != nil {
		t.Fatal(err)
	}
	if iss, ok := clone.Issuer(); !ok || string(iss) != "https://issuer" {
		t.Errorf("clone issuer %q", iss)
	}
	var auds []string
	_ = clone.EachAudience(func(a []byte) bool { auds = append(auds, string(a)); return true })
	if len(auds) != 1 || auds[0] != "a" {
		t.Errorf("clone aud %q", auds)
	}
	if exp, _ := clone.Expiry(); exp != 5 {
		t.Errorf("clone exp %v", exp)
	}
	for claims, want := range map[string][2]bool{ // Issuer ok, IssuerPresent
		`{"iss":"x"}`:  {true, true},
		`{"iss":""}`:   {true, true},
		`{"iss":null}`: {false, false},
		`{"iss":1}`:    {false, true},
		`{}`:           {false, false},
	} {
		c := claimsOf(t, claims)
		if _, ok := c.Issuer(); ok != want[0] || c.IssuerPresent() != want[1] {
			t.Errorf("%s: Issuer ok %v, IssuerPresent %v", claims, ok, c.IssuerPresent())
		}
	}
	if !strings.Contains(string(clone.Raw()), "issuer") {
		t.Error("Raw")
	}
}

func TestParseClaims(t *testing.T) {
	c, err := ParseClaims([]byte(`{"iss":"https://i","aud":["a","b"],"exp":1800000000,"scope":"x y"}`))
	if err != nil {
		t.Fatal(err)
	}
	if iss, ok := c.Issuer(); !ok || string(iss) != "https://i" {
		t.Errorf("issuer %q %v", iss, ok)
	}
	if exp, ok := c.Expiry(); !ok || exp != 1800000000 {
		t.Errorf("exp %v %v", exp, ok)
	}
	var auds []string
	if err := c.EachAudience(func(a []byte) bool { auds = append(auds, string(a)); return true }); err != nil || len(auds) != 2 {
		t.Errorf("aud %v %v", auds, err)
	}
	for _, bad := range []string{``, `[]`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, "{\"a\":\"\xff\"}", `{"a":1`} {
		if _, err := ParseClaims([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseClaims(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}
