package jwtlite

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var allAlgs = []Algorithm{RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519, HS256, HS384, HS512}

// TestKeyVerifyEveryAlgorithm: a good signature verifies; a flipped bit, a truncated
// signature, an empty one and another algorithm's signature do not.
func TestKeyVerifyEveryAlgorithm(t *testing.T) {
	k := tk(t)
	input := []byte("eyJhbGciOiJ4In0.eyJzdWIiOiJ5In0")
	for _, alg := range allAlgs {
		t.Run(string(alg), func(t *testing.T) {
			var algs []Algorithm
			if alg.IsHMAC() {
				algs = []Algorithm{alg}
			}
			ks := keySet(t, algs, k.jwkJSON(t, alg, nil))
			key := ks.Keys[0]
			sig := k.sign(t, alg, input)
			if err := key.Verify(alg, input, sig); err != nil {
				t.Fatalf("good signature: %v", err)
			}
			flipped := append([]byte(nil), sig...)
			flipped[len(flipped)/2] ^= 1
			other := RS256
			if alg.isRSA() {
				other = ES256
			}
			bad := map[string][]byte{
				"flipped":   flipped,
				"truncated": sig[:len(sig)-1],
				"extended":  append(append([]byte(nil), sig...), 0),
				"empty":     nil,
				"other":     k.sign(t, other, input),
			}
			for name, s := range bad {
				if err := key.Verify(alg, input, s); !errors.Is(err, ErrBadSignature) {
					t.Errorf("%s: got %v, want ErrBadSignature", name, err)
				}
			}
			if err := key.Verify(alg, append([]byte("x"), input...), sig); !errors.Is(err, ErrBadSignature) {
				t.Errorf("other input: got %v", err)
			}
			wrongAlg := HS256
			if alg.IsHMAC() {
				wrongAlg = RS256
			}
			if err := key.Verify(wrongAlg, input, sig); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("alg %s on a %s key: got %v, want ErrUnknownKey", wrongAlg, alg, err)
			}
		})
	}
}

// TestEdDSAEquivalence: EdDSA and Ed25519 are interchangeable for an Ed25519 key (RFC 9864).
func TestEdDSAEquivalence(t *testing.T) {
	k := tk(t)
	input := []byte("a.b")
	sig := k.sign(t, EdDSA, input)
	for _, bound := range []Algorithm{EdDSA, Ed25519} {
		ks := keySet(t, nil, k.jwkJSON(t, bound, map[string]any{"kid": "e"}))
		for _, used := range []Algorithm{EdDSA, Ed25519} {
			h := Header{Alg: used, Kid: []byte("e"), HasKid: true}
			key, err := ks.Select(&h)
			if err != nil {
				t.Fatalf("bound %s, token %s: %v", bound, used, err)
			}
			if err := key.Verify(used, input, sig); err != nil {
				t.Errorf("bound %s, token %s: %v", bound, used, err)
			}
		}
	}
}

// TestECDSAEdgeSignatures: r or s zero or ≥ N are bad signatures, never panics.
func TestECDSAEdgeSignatures(t *testing.T) {
	k := tk(t)
	key := keySet(t, nil, k.jwkJSON(t, ES256, nil)).Keys[0]
	n := key.ec.Curve.Params().N.Bytes()
	one := pad([]byte{1}, 32)
	zero := make([]byte, 32)
	ff := []byte(strings.Repeat("\xff", 32))
	for name, sig := range map[string][]byte{
		"r=0": append(append([]byte(nil), zero...), one...),
		"s=0": append(append([]byte(nil), one...), zero...),
		"r=N": append(append([]byte(nil), n...), one...),
		"s=N": append(append([]byte(nil), one...), n...),
		"max": append(append([]byte(nil), ff...), ff...),
	} {
		if err := key.Verify(ES256, []byte("a.b"), sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestSelect(t *testing.T) {
	k := tk(t)
	one := keySet(t, nil, k.jwkJSON(t, RS256, map[string]any{"kid": "r1"}))
	two := keySet(t, nil, k.jwkJSON(t, RS256, map[string]any{"kid": "r1"}), k.jwkJSON(t, ES256, map[string]any{"kid": "e1"}))
	noKid := keySet(t, nil, k.jwkJSON(t, ES256, nil))
	emptyKid := keySet(t, nil, k.jwkJSON(t, ES256, map[string]any{"kid": ""}))
	hdr := func(alg Algorithm, kid *string) *Header {
		h := &Header{Alg: alg}
		if kid != nil {
			h.Kid, h.HasKid = []byte(*kid), true
		}
		return h
	}
	s := func(v string) *string { return &v }
	cases := []struct {
		name string
		ks   *KeySet
		h    *Header
		ok   bool
		kid  string // kid of the chosen key when ok
	}{
		{"kid match", two, hdr(ES256, s("e1")), true, "e1"},
		{"kid match rsa", two, hdr(RS256, s("r1")), true, "r1"},
		{"kid unknown", two, hdr(RS256, s("r2")), false, ""},
		{"kid case differs", two, hdr(RS256, s("R1")), false, ""},
		{"alg differs from bound", two, hdr(PS256, s("r1")), false, ""},
		{"alg of another key", two, hdr(ES256, s("r1")), false, ""},
		{"no kid, two keys", two, hdr(RS256, nil), false, ""},
		{"no kid, one key", one, hdr(RS256, nil), true, "r1"},
		{"no kid, one key, wrong alg", one, hdr(RS384, nil), false, ""},
		{"kid given, key has none", noKid, hdr(ES256, s("x")), false, ""},
		{"empty kid, key has none", noKid, hdr(ES256, s("")), false, ""},
		{"empty kid matches empty kid", emptyKid, hdr(ES256, s("")), true, ""},
		{"no kid, single key without kid", noKid, hdr(ES256, nil), true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, err := c.ks.Select(c.h)
			if !c.ok {
				if !errors.Is(err, ErrUnknownKey) || key != nil {
					t.Fatalf("got %v, %v; want ErrUnknownKey", key, err)
				}
				return
			}
			if err != nil || key != c.ks.Keys[indexOfKid(c.ks, c.kid)] {
				t.Fatalf("got %v, %v; want kid %q", key, err, c.kid)
			}
		})
	}
	if _, err := (*KeySet)(nil).Select(hdr(RS256, nil)); !errors.Is(err, ErrUnknownKey) {
		t.Error("nil KeySet")
	}
	if got := two.Algorithms(); len(got) != 2 || got[0] != ES256 || got[1] != RS256 {
		t.Errorf("Algorithms() = %v", got)
	}
}

// TestVerifyPipeline checks each step of docs/request-flow.md#11-verification and that the first failure wins.
func TestVerifyPipeline(t *testing.T) {
	k := tk(t)
	now := time.Unix(1_700_000_000, 0)
	const iss, aud = "https://auth.example.com", "https://mcp.example.com/mcp"
	ks := keySet(t, nil, k.jwkJSON(t, ES256, map[string]any{"kid": "k1"}))
	base := func() map[string]any {
		return map[string]any{"iss": iss, "aud": aud, "exp": now.Unix() + 300, "iat": now.Unix(), "sub": "u", "client_id": "c"}
	}
	with := func(mod func(m map[string]any)) map[string]any { m := base(); mod(m); return m }
	good := k.mint(t, ES256, "k1", base())
	cases := []struct {
		name  string
		token string
		opts  func(o *VerifyOptions)
		want  error
	}{
		{"ok", good, nil, nil},
		{"too large", good, func(o *VerifyOptions) { o.MaxTokenBytes = len(good) - 1 }, ErrTokenTooLarge},
		{"exactly max", good, func(o *VerifyOptions) { o.MaxTokenBytes = len(good) }, nil},
		{"too large wins over malformed", "x.y", func(o *VerifyOptions) { o.MaxTokenBytes = 2 }, ErrTokenTooLarge},
		{"malformed", "a.b", nil, ErrMalformed},
		{"alg none", b64([]byte(`{"alg":"none"}`)) + "." + b64([]byte(`{"iss":"x"}`)) + ".", nil, ErrUnsupportedAlgorithm},
		{"iss missing", k.mint(t, ES256, "k1", with(func(m map[string]any) { delete(m, "iss") })), nil, ErrMissingClaim},
		{"iss null", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["iss"] = nil })), nil, ErrMissingClaim},
		{"iss number", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["iss"] = 5 })), nil, ErrUnknownIssuer},
		{"iss other", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["iss"] = iss + "/" })), nil, ErrUnknownIssuer},
		{"unknown kid", k.mint(t, ES256, "k2", base()), nil, ErrUnknownKey},
		{"bad signature", good[:len(good)-4] + "AAAA", nil, ErrBadSignature},
		{"typ missing", k.mintRaw(t, ES256, `{"alg":"ES256","kid":"k1"}`, `{"iss":"`+iss+`"}`), nil, ErrWrongTokenType},
		{"typ JWT", k.mintRaw(t, ES256, `{"alg":"ES256","kid":"k1","typ":"JWT"}`, `{"iss":"`+iss+`"}`), nil, ErrWrongTokenType},
		{"typ any", k.mintRaw(t, ES256, `{"alg":"ES256","kid":"k1"}`, `{"iss":"`+iss+`","aud":"`+aud+`","exp":1e10,"sub":"u","client_id":"c"}`), func(o *VerifyOptions) { o.RequireATJWT = false }, nil},
		{"expired", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["exp"] = now.Unix() - 61 })), nil, ErrExpired},
		{"not yet valid", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["nbf"] = now.Unix() + 61 })), nil, ErrNotYetValid},
		{"issued in future", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["iat"] = now.Unix() + 61 })), nil, ErrIssuedInFuture},
		{"wrong audience", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["aud"] = "https://other" })), nil, ErrWrongAudience},
		{"aud missing", k.mint(t, ES256, "k1", with(func(m map[string]any) { delete(m, "aud") })), nil, ErrWrongAudience},
		{"extra audience", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["aud"] = []string{aud, "https://other"} })), nil, ErrExtraAudience},
		{"extra audience allowed", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["aud"] = []string{"https://other", aud} })), func(o *VerifyOptions) { o.ExclusiveAudience = false }, nil},
		{"audience not checked", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["aud"] = "x" })), func(o *VerifyOptions) { o.Audience = nil }, nil},
		{"required claim missing", k.mint(t, ES256, "k1", with(func(m map[string]any) { delete(m, "client_id") })), nil, ErrMissingClaim},
		{"required claim null", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["client_id"] = nil })), nil, ErrMissingClaim},
		{"expired wins over audience", k.mint(t, ES256, "k1", with(func(m map[string]any) { m["exp"] = 1; m["aud"] = "x" })), nil, ErrExpired},
	}
	var p Parser
	var tok Token
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := VerifyOptions{
				Keys: ks, Issuer: iss, Now: now, Skew: time.Minute, RequireATJWT: true,
				Audience:          func(a []byte) bool { return string(a) == aud },
				ExclusiveAudience: true, RequiredClaims: []string{"sub", "client_id"},
			}
			if c.opts != nil {
				c.opts(&o)
			}
			err := Verify(&p, c.token, &o, &tok)
			if c.want == nil {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestReason(t *testing.T) {
	cases := map[error]string{
		ErrTokenTooLarge: "token_too_large", ErrMalformed: "malformed_token",
		ErrUnsupportedAlgorithm: "unsupported_algorithm", ErrMissingClaim: "missing_claim",
		ErrUnknownIssuer: "unknown_issuer", ErrUnknownKey: "unknown_key", ErrBadSignature: "bad_signature",
		ErrWrongTokenType: "wrong_token_type", ErrExpired: "expired", ErrNotYetValid: "not_yet_valid",
		ErrIssuedInFuture: "issued_in_future", ErrWrongAudience: "wrong_audience",
		ErrExtraAudience: "extra_audience", ErrInvalidKey: "", ErrNoUsableKey: "", nil: "",
		errors.New("other"): "",
	}
	for err, want := range cases {
		if got := Reason(err); got != want {
			t.Errorf("Reason(%v) = %q, want %q", err, got, want)
		}
		if err != nil && want != "" {
			wrapped := errorsJoin(err)
			if got := Reason(wrapped); got != want || !errors.Is(wrapped, err) {
				t.Errorf("wrapped %v: Reason %q", err, got)
			}
		}
	}
}

func errorsJoin(err error) error { return errors.Join(errors.New("context"), err) }

// indexOfKid returns the index of the key with ID kid (0 when none matches).
func indexOfKid(ks *KeySet, kid string) int {
	for i, k := range ks.Keys {
		if k.ID == kid {
			return i
		}
	}
	return 0
}
