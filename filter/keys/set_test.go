package keys

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/audguard/audguard/jwtlite"
)

func TestParseSet(t *testing.T) {
	testKeys(t)
	k1, k2 := ecJWK(t, 0, "k1", nil), ecJWK(t, 1, "k2", nil)
	huge := append(jwks(k1), bytes.Repeat([]byte(" "), MaxBodyBytes)...)
	many := make([]string, MaxSetKeys+1)
	for i := range many {
		many[i] = `{"kty":"unknown"}`
	}
	cases := []struct {
		name    string
		body    []byte
		algs    []jwtlite.Algorithm
		err     error
		usable  int
		skipped int
	}{
		{"two EC keys", jwks(k1, k2), nil, nil, 2, 0},
		{"RSA 2048", jwks(rsaJWK(t, false, "r1")), nil, nil, 1, 0},
		{"top-level members besides keys", []byte(`{"x":1,"keys":[` + k1 + `]}`), nil, nil, 1, 0},
		{"oversized", huge, nil, ErrBodyTooLarge, 0, 0},
		{"empty body", nil, nil, ErrNotJWKSet, 0, 0},
		{"bad JSON", []byte(`{"keys":[`), nil, ErrNotJWKSet, 0, 0},
		{"HTML error page", []byte(`<html>502</html>`), nil, ErrNotJWKSet, 0, 0},
		{"array, not object", []byte(`[` + k1 + `]`), nil, ErrNotJWKSet, 0, 0},
		{"invalid UTF-8", []byte("{\"keys\":[],\"a\":\"\xff\"}"), nil, ErrNotJWKSet, 0, 0},
		{"keys not an array", []byte(`{"keys":{}}`), nil, ErrNotJWKSet, 0, 0},
		{"no keys member", []byte(`{}`), nil, ErrNotJWKSet, 0, 0},
		{"too deep", []byte(`{"keys":[` + k1 + `],"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`), nil, ErrNotJWKSet, 0, 0},
		{"duplicate top-level member", []byte(`{"keys":[` + k1 + `],"keys":[]}`), nil, ErrDuplicateMember, 0, 0},
		{"duplicate member escaped", []byte(`{"keys":[` + k1 + `],"k\u0065ys":[]}`), nil, ErrDuplicateMember, 0, 0},
		{"duplicate member in a key", []byte(`{"keys":[` + strings.Replace(k1, `"kty":"EC"`, `"kty":"EC","kty":"RSA"`, 1) + `]}`), nil, ErrDuplicateMember, 0, 0},
		{"duplicate member deep", []byte(`{"keys":[` + k1 + `],"a":[{"b":{"c":1,"c":2}}]}`), nil, ErrDuplicateMember, 0, 0},
		{"same name in sibling objects", []byte(`{"keys":[` + k1 + `],"a":{"c":1},"b":{"c":2}}`), nil, nil, 1, 0},
		{"duplicate kid", jwks(k1, ecJWK(t, 1, "k1", nil)), nil, ErrDuplicateKid, 0, 0},
		{"duplicate kid with an unusable key", jwks(k1, rsaJWK(t, true, "k1")), nil, ErrDuplicateKid, 0, 0},
		{"duplicate kid with an oct key", jwks(k1, octJWK("k1")), nil, ErrDuplicateKid, 0, 0},
		{"only unusable keys", jwks(rsaJWK(t, true, "w"), ecJWK(t, 0, "enc", map[string]any{"use": "enc"}), `{"kty":"EC","kid":"off","crv":"P-256","x":"AA","y":"AA"}`), nil, ErrNoUsableKey, 0, 0},
		{"only oct keys", jwks(octJWK("h1"), octJWK("h2")), nil, ErrNoUsableKey, 0, 0},
		{"oct keys skipped even when HS is listed", jwks(octJWK("h1")), []jwtlite.Algorithm{jwtlite.HS256}, ErrNoUsableKey, 0, 0},
		{"empty set", jwks(), nil, ErrNoUsableKey, 0, 0},
		{"unusable keys skipped and counted", jwks(k1, rsaJWK(t, true, "w"), octJWK("h"), `"str"`, `{"kty":"EC","alg":"RS256","crv":"P-256"}`, ecJWK(t, 2, "ops", map[string]any{"key_ops": []string{"sign"}})), nil, nil, 1, 5},
		{"RSA without alg needs one RSA algorithm", jwks(strings.Replace(rsaJWK(t, false, "r"), `"alg":"RS256",`, "", 1)), nil, ErrNoUsableKey, 0, 0},
		{"RSA without alg bound by algorithms", jwks(strings.Replace(rsaJWK(t, false, "r"), `"alg":"RS256",`, "", 1)), []jwtlite.Algorithm{jwtlite.RS256}, nil, 1, 0},
		{"algorithms allowlist skips", jwks(k1, rsaJWK(t, false, "r")), []jwtlite.Algorithm{jwtlite.RS256}, nil, 1, 1},
		{"too many keys", jwks(many...), nil, ErrTooManyKeys, 0, 0},
		{"RSA over 8192 bits skipped", jwks(k1, bigRSAJWK(t, "big", 48000)), nil, nil, 1, 1},
		{"RSA of 8193 bits skipped", jwks(k1, bigRSAJWK(t, "big", 8193)), nil, nil, 1, 1},
		{"RSA of 8192 bits", jwks(k1, bigRSAJWK(t, "big", 8192)), nil, nil, 2, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSet(c.body, c.algs)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if err != nil {
				return
			}
			if len(s.Keys) != c.usable || s.Skipped != c.skipped {
				t.Fatalf("%d usable, %d skipped; want %d, %d", len(s.Keys), s.Skipped, c.usable, c.skipped)
			}
			again, err := ParseSet(s.Compact, c.algs)
			if err != nil || !bytes.Equal(again.Compact, s.Compact) || len(again.Keys) != len(s.Keys) || again.Skipped != 0 {
				t.Fatalf("compact form not stable: %v %s", err, s.Compact)
			}
		})
	}
}

// TestParseSetSkipsPrivateKeys: a key published with private members (RFC 7518 §6.2.2,
// §6.3.2; RFC 8037 §2), or an "oct" key with its secret, is skipped and counted in Skipped and
// in Private; the rest of the set is used, and no private member reaches Compact.
func TestParseSetSkipsPrivateKeys(t *testing.T) {
	testKeys(t)
	d := b64(ecKeys[1].D.Bytes())
	rsaPriv := strings.Replace(rsaJWK(t, false, "r1"), `{`, `{"p":"AAAA","q":"AAAA","dp":"AAAA","dq":"AAAA","qi":"AAAA",`, 1)
	cases := []struct {
		name                     string
		body                     []byte
		usable, skipped, private int
		err                      error
	}{
		{"EC d", jwks(ecJWK(t, 0, "k1", map[string]any{"x5c": []string{"AAAA"}}), ecJWK(t, 1, "k2", map[string]any{"d": d})), 1, 1, 1, nil},
		{"RSA primes", jwks(ecJWK(t, 0, "k1", nil), rsaPriv), 1, 1, 1, nil},
		{"oth", jwks(ecJWK(t, 0, "k1", nil), strings.Replace(rsaJWK(t, false, "r1"), `{`, `{"oth":[],`, 1)), 1, 1, 1, nil},
		{"d of an encryption key", jwks(ecJWK(t, 0, "k1", nil), ecJWK(t, 1, "enc", map[string]any{"use": "enc", "d": d})), 1, 1, 1, nil},
		{"oct secret", jwks(ecJWK(t, 0, "k1", nil), octJWK("h1")), 1, 1, 1, nil},
		{"oct without a secret", jwks(ecJWK(t, 0, "k1", nil), `{"kty":"oct","kid":"h1","alg":"HS256"}`), 1, 1, 0, nil},
		{"only private keys", jwks(ecJWK(t, 1, "k2", map[string]any{"d": d}), octJWK("h1")), 0, 0, 0, ErrNoUsableKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSet(c.body, nil)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if err != nil {
				return
			}
			if len(s.Keys) != c.usable || s.Skipped != c.skipped || s.Private != c.private {
				t.Fatalf("%d usable, %d skipped, %d private; want %d, %d, %d", len(s.Keys), s.Skipped, s.Private, c.usable, c.skipped, c.private)
			}
			if bytes.Contains(s.Compact, []byte(d)) || bytes.Contains(s.Compact, []byte(`"d"`)) || bytes.Contains(s.Compact, []byte("AAAA")) ||
				bytes.Contains(s.Compact, []byte("x5c")) {
				t.Fatalf("compact keeps private or unused members: %s", s.Compact)
			}
		})
	}
}

// TestParseSetErrorsQuoteNothing: refusals are fixed sentences, never the body or a kid.
func TestParseSetErrorsQuoteNothing(t *testing.T) {
	for _, body := range [][]byte{
		[]byte(`{"keys":[{"kty":"EC","kid":"SECRET"},{"kty":"EC","kid":"SECRET"}]}`),
		[]byte(`{"keys":[],"SECRET":1,"SECRET":2}`),
		[]byte(`{"keys":[{"kty":"oct","kid":"SECRET","k":"SECRETSECRET"}]}`),
		[]byte(`SECRET`),
	} {
		if _, err := ParseSet(body, nil); err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("%s: %v", body, err)
		}
	}
}
