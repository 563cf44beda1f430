package jwtlite

import (
	"errors"
	"strings"
	"testing"
)

// TestParse covers compact-serialization syntax (RFC 7515 §7.1, §2) and header rules.
func TestParse(t *testing.T) {
	e := func(s string) string { return b64([]byte(s)) }
	const hdr = `{"alg":"RS256","kid":"k"}`
	const cl = `{"iss":"i"}`
	ok := e(hdr) + "." + e(cl) + "." + e("sig")
	cases := []struct {
		name  string
		token string
		want  error // nil: success
	}{
		{"ok", ok, nil},
		{"two parts", e(hdr) + "." + e(cl), ErrMalformed},
		{"four parts", ok + ".x", ErrMalformed},
		{"five parts (JWE)", ok + ".x.y", ErrMalformed},
		{"empty", "", ErrMalformed},
		{"dots only", "..", ErrMalformed},
		{"empty signature part", e(hdr) + "." + e(cl) + ".", nil},
		{"padding in header", e(hdr) + "=." + e(cl) + "." + e("sig"), ErrMalformed},
		{"padding in signature", e(hdr) + "." + e(cl) + "." + e("si") + "=", ErrMalformed},
		{"std alphabet +", e(hdr) + "." + e(cl) + ".ab+c", ErrMalformed},
		{"std alphabet /", e(hdr) + "." + e(cl) + ".ab/c", ErrMalformed},
		{"space", e(hdr) + "." + e(cl) + ".ab c", ErrMalformed},
		{"newline", e(hdr) + "." + e(cl) + ".ab\nc", ErrMalformed},
		{"CR", e(hdr) + ".\r" + e(cl) + "." + e("sig"), ErrMalformed},
		{"impossible length", e(hdr) + "." + e(cl) + ".abcde", ErrMalformed},
		{"non-zero padding bits", e(hdr) + "." + e(cl) + ".AB", ErrMalformed},
		{"zero padding bits", e(hdr) + "." + e(cl) + ".AA", nil},
		{"header not JSON", e("nope") + "." + e(cl) + ".", ErrMalformed},
		{"header array", e(`["alg"]`) + "." + e(cl) + ".", ErrMalformed},
		{"header string", e(`"x"`) + "." + e(cl) + ".", ErrMalformed},
		{"header trailing garbage", e(hdr+"x") + "." + e(cl) + ".", ErrMalformed},
		{"header two objects", e(hdr+"{}") + "." + e(cl) + ".", ErrMalformed},
		{"header invalid UTF-8", e(`{"alg":"RS256","x":"`+"\xff"+`"}`) + "." + e(cl) + ".", ErrMalformed},
		{"claims invalid UTF-8", e(hdr) + "." + e(`{"iss":"`+"\xc3\x28"+`"}`) + ".", ErrMalformed},
		{"claims not object", e(hdr) + "." + e(`[1]`) + ".", ErrMalformed},
		{"claims empty", e(hdr) + ".." + e("sig"), ErrMalformed},
		{"claims null", e(hdr) + "." + e(`null`) + ".", ErrMalformed},
		{"header duplicate alg", e(`{"alg":"RS256","alg":"none"}`) + "." + e(cl) + ".", ErrMalformed},
		{"header escaped duplicate", e(`{"alg":"RS256","\u0061lg":"HS256"}`) + "." + e(cl) + ".", ErrMalformed},
		{"claims duplicate", e(hdr) + "." + e(`{"iss":"a","iss":"b"}`) + ".", ErrMalformed},
		{"claims escaped duplicate", e(hdr) + "." + e(`{"aud":"a","\u0061ud":"b"}`) + ".", ErrMalformed},
		{"claims nested duplicate", e(hdr) + "." + e(`{"x":{"a":1,"a":2}}`) + ".", ErrMalformed},
		{"claims duplicate in array object", e(hdr) + "." + e(`{"x":[{"a":1,"\u0061":2}]}`) + ".", ErrMalformed},
		{"same name at different levels", e(hdr) + "." + e(`{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}`) + ".", nil},
		{"too deep", e(hdr) + "." + e(`{"a":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`) + ".", ErrMalformed},
		{"alg missing", e(`{"kid":"k"}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg none", e(`{"alg":"none"}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg None", e(`{"alg":"None"}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg NONE", e(`{"alg":"NONE"}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg lower case", e(`{"alg":"rs256"}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg unknown", e(`{"alg":"ES256K"}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg number", e(`{"alg":256}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg null", e(`{"alg":null}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"alg escaped", e(`{"alg":"RS\u0032\u0035\u0036"}`) + "." + e(cl) + ".", nil},
		{"crit", e(`{"alg":"RS256","crit":["exp"],"exp":1}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"crit empty", e(`{"alg":"RS256","crit":[]}`) + "." + e(cl) + ".", ErrUnsupportedAlgorithm},
		{"b64 false without crit ignored", e(`{"alg":"RS256","b64":false}`) + "." + e(cl) + ".", nil},
		{"jku ignored", e(`{"alg":"RS256","jku":"https://evil","jwk":{"kty":"oct","k":"AA"},"x5u":"x","x5c":["x"]}`) + "." + e(cl) + ".", nil},
		{"kid number", e(`{"alg":"RS256","kid":1}`) + "." + e(cl) + ".", ErrMalformed},
		{"typ object", e(`{"alg":"RS256","typ":{}}`) + "." + e(cl) + ".", ErrMalformed},
		{"malformed wins over alg", e(`{"alg":"none"}`) + "." + e(`[]`) + ".", ErrMalformed},
	}
	var p Parser
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tok Token
			err := p.Parse(c.token, &tok)
			if c.want == nil {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if tok.Header.Alg != RS256 {
					t.Errorf("alg %q", tok.Header.Alg)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	e := func(s string) string { return b64([]byte(s)) }
	var p Parser
	var tok Token
	h, c := e(`{"alg":"ES256","kid":"k\u00e9\n","typ":"at+JWT"}`), e(`{"iss":"https:\/\/a"}`)
	if err := p.Parse(h+"."+c+"."+e("\x01\x02"), &tok); err != nil {
		t.Fatal(err)
	}
	if string(tok.Header.Kid) != "k\u00e9\n" || !tok.Header.HasKid || !tok.Header.HasTyp || !IsATJWT(tok.Header.Typ) {
		t.Errorf("header %+v", tok.Header)
	}
	if string(tok.SigningInput) != h+"."+c || string(tok.Signature) != "\x01\x02" {
		t.Errorf("signing input or signature wrong")
	}
	if iss, ok := tok.Claims.Issuer(); !ok || string(iss) != "https://a" {
		t.Errorf("iss %q %v", iss, ok)
	}
	// A second parse without kid/typ resets them.
	if err := p.Parse(e(`{"alg":"ES256"}`)+"."+c+".", &tok); err != nil {
		t.Fatal(err)
	}
	if tok.Header.HasKid || tok.Header.Kid != nil || tok.Header.HasTyp {
		t.Errorf("stale header fields %+v", tok.Header)
	}
	// A failed parse leaves nothing usable behind.
	if err := p.Parse("a.b.c", &tok); err == nil || tok.Header.Alg != "" || tok.SigningInput != nil {
		t.Errorf("failed parse left %+v", tok.Header)
	}
}

func TestIsATJWT(t *testing.T) {
	for typ, want := range map[string]bool{
		"at+jwt": true, "AT+JWT": true, "application/at+jwt": true, "Application/At+Jwt": true,
		"JWT": false, "": false, "at+jwt ": false, "application/jwt": false, "at+jwt\x00": false,
		"\u212at+jwt": false,
	} {
		if got := IsATJWT([]byte(typ)); got != want {
			t.Errorf("IsATJWT(%q) = %v", typ, got)
		}
	}
}

func TestParseAlgorithm(t *testing.T) {
	for _, a := range allAlgs {
		if got, ok := ParseAlgorithm(string(a)); !ok || got != a {
			t.Errorf("ParseAlgorithm(%q) = %q, %v", a, got, ok)
		}
	}
	for _, s := range []string{"none", "None", "", "rs256", "ES256K", "RS1", "HS1", "PS256 ", "A256GCM"} {
		if _, ok := ParseAlgorithm(s); ok {
			t.Errorf("ParseAlgorithm(%q) accepted", s)
		}
	}
	for a, want := range map[Algorithm]bool{HS256: true, HS384: true, HS512: true, RS256: false, EdDSA: false} {
		if a.IsHMAC() != want {
			t.Errorf("%s.IsHMAC() = %v", a, !want)
		}
	}
}
