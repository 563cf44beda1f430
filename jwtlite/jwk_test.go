package jwtlite

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// TestParseKeySet covers every rule of docs/configuration.md#keys.
func TestParseKeySet(t *testing.T) {
	k := tk(t)
	rs := func(extra map[string]any) string { return k.jwkJSON(t, RS256, extra) }
	es := func(extra map[string]any) string { return k.jwkJSON(t, ES256, extra) }
	ed := func(extra map[string]any) string { return k.jwkJSON(t, EdDSA, extra) }
	hs := func(extra map[string]any) string { return k.jwkJSON(t, HS256, extra) }
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	// rsaBits is an RSA public JWK whose modulus is a random odd number of exactly bits bits:
	// parsing judges size and form, not whether the number is a product of two primes.
	rsaBits := func(bits int) string {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
		if err != nil {
			t.Fatal(err)
		}
		n.SetBit(n, bits-1, 1).SetBit(n, 0, 1)
		return `{"kty":"RSA","alg":"RS256","kid":"big","n":"` + b64(n.Bytes()) + `","e":"AQAB"}`
	}
	pubP256, _ := k.p256.PublicKey.Bytes()
	offY := append([]byte(nil), pubP256[33:]...)
	offY[31] ^= 1
	cases := []struct {
		name     string
		keys     []string
		algs     []Algorithm
		want     error       // nil: success
		bound    []Algorithm // bound algorithms of the usable keys, in order
		warnings int
		msg      string // substring of the error message
	}{
		{"rsa with alg", []string{rs(map[string]any{"kid": "r"})}, nil, nil, []Algorithm{RS256}, 0, ""},
		{"rsa bound by algorithms", []string{rs(map[string]any{"alg": nil, "kid": "k1"})}, []Algorithm{PS384, ES256}, nil, []Algorithm{PS384}, 0, ""},
		{"rsa without alg, no algorithms", []string{rs(map[string]any{"alg": nil, "kid": "k1"})}, nil, ErrInvalidKey, nil, 0, `key 0 (kid "k1"): RSA key without "alg" needs "algorithms" with exactly one RSA algorithm`},
		{"rsa without alg, two RSA algorithms", []string{rs(map[string]any{"alg": nil})}, []Algorithm{RS256, PS256}, ErrInvalidKey, nil, 0, "exactly one RSA algorithm"},
		{"ec from curve", []string{es(map[string]any{"alg": nil})}, nil, nil, []Algorithm{ES256}, 0, ""},
		{"ec P-384 from curve", []string{k.jwkJSON(t, ES384, map[string]any{"alg": nil})}, nil, nil, []Algorithm{ES384}, 0, ""},
		{"ec P-521 from curve", []string{k.jwkJSON(t, ES512, map[string]any{"alg": nil})}, nil, nil, []Algorithm{ES512}, 0, ""},
		{"okp from curve", []string{ed(map[string]any{"alg": nil})}, nil, nil, []Algorithm{EdDSA}, 0, ""},
		{"okp bound to Ed25519 by algorithms", []string{ed(map[string]any{"alg": nil})}, []Algorithm{Ed25519}, nil, []Algorithm{Ed25519}, 0, ""},
		{"okp alg Ed25519", []string{ed(map[string]any{"alg": "Ed25519"})}, nil, nil, []Algorithm{Ed25519}, 0, ""},
		{"rsa 1024 refused", []string{`{"kty":"RSA","alg":"RS256","n":"` + b64(small.N.Bytes()) + `","e":"AQAB"}`}, nil, ErrInvalidKey, nil, 0, "1024 bits"},
		{"rsa 8192 bits", []string{rsaBits(8192)}, nil, nil, []Algorithm{RS256}, 0, ""},
		{"rsa 8193 bits refused", []string{rsaBits(8193)}, nil, ErrRSAParameters, nil, 0, "RSA modulus has 8193 bits; at most 8192 are accepted"},
		{"rsa 48000 bits refused", []string{rsaBits(48000)}, nil, ErrRSAParameters, nil, 0, "RSA modulus has 48000 bits; at most 8192 are accepted"},
		{"rsa e=1", []string{rs(map[string]any{"e": "AQ"})}, nil, ErrInvalidKey, nil, 0, "exponent"},
		{"rsa e even", []string{rs(map[string]any{"e": "AQAA"})}, nil, ErrInvalidKey, nil, 0, "exponent"},
		{"rsa e huge", []string{rs(map[string]any{"e": "AQAAAAAB"})}, nil, ErrInvalidKey, nil, 0, "exponent"},
		{"rsa n leading zero", []string{rs(map[string]any{"n": b64(append([]byte{0}, k.rsa.N.Bytes()...))})}, nil, ErrInvalidKey, nil, 0, "leading zero"},
		{"rsa n padded base64", []string{rs(map[string]any{"n": b64(k.rsa.N.Bytes()) + "="})}, nil, ErrInvalidKey, nil, 0, "base64url"},
		{"rsa n missing", []string{rs(map[string]any{"n": nil})}, nil, ErrInvalidKey, nil, 0, `"n" is missing`},
		{"rsa n not a string", []string{rs(map[string]any{"n": 5})}, nil, ErrInvalidKey, nil, 0, "wrong type"},
		{"ec off curve", []string{es(map[string]any{"y": b64(offY)})}, nil, ErrInvalidKey, nil, 0, "not on curve"},
		{"ec short coordinate", []string{es(map[string]any{"x": b64(pubP256[2:33])})}, nil, ErrInvalidKey, nil, 0, "32 octets"},
		{"ec missing crv", []string{es(map[string]any{"crv": nil})}, nil, ErrInvalidKey, nil, 0, "crv"},
		{"alg/crv mismatch", []string{es(map[string]any{"alg": "ES384"})}, nil, ErrInvalidKey, nil, 0, "does not fit"},
		{"alg/kty mismatch", []string{rs(map[string]any{"alg": "ES256"})}, nil, ErrInvalidKey, nil, 0, "does not fit"},
		{"okp with RS alg", []string{ed(map[string]any{"alg": "RS256"})}, nil, ErrInvalidKey, nil, 0, "does not fit"},
		{"unknown alg skipped", []string{rs(map[string]any{"alg": "RSA-OAEP"}), es(nil)}, nil, nil, []Algorithm{ES256}, 1, ""},
		{"use enc skipped", []string{rs(map[string]any{"use": "enc"}), es(map[string]any{"use": "sig"})}, nil, nil, []Algorithm{ES256}, 1, ""},
		{"key_ops without verify skipped", []string{rs(map[string]any{"key_ops": []string{"encrypt"}}), es(map[string]any{"key_ops": []string{"sign", "verify"}})}, nil, nil, []Algorithm{ES256}, 1, ""},
		{"key_ops not strings", []string{rs(map[string]any{"key_ops": []any{1}})}, nil, ErrInvalidKey, nil, 0, "key_ops"},
		{"unknown kty skipped", []string{`{"kty":"XYZ","kid":"u"}`, es(nil)}, nil, nil, []Algorithm{ES256}, 1, ""},
		{"unknown crv skipped", []string{`{"kty":"OKP","crv":"X25519","x":"AA"}`, `{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}`, es(nil)}, nil, nil, []Algorithm{ES256}, 2, ""},
		{"kty missing", []string{`{"kid":"a"}`}, nil, ErrInvalidKey, nil, 0, "kty"},
		{"not in explicit algorithms skipped", []string{rs(nil), es(nil)}, []Algorithm{ES256}, nil, []Algorithm{ES256}, 1, ""},
		{"all skipped", []string{rs(map[string]any{"use": "enc"})}, nil, ErrNoUsableKey, nil, 1, "no usable key"},
		{"empty set", nil, nil, ErrNoUsableKey, nil, 0, ""},
		{"oct secret refused without HS", []string{hs(nil), es(nil)}, nil, ErrPrivateKey, nil, 0, `key 0 (no kid): "k" is a shared secret, and "algorithms" lists no HS algorithm`},
		{"oct secret refused with other algorithms", []string{hs(map[string]any{"kid": "h"}), es(nil)}, []Algorithm{ES256}, ErrPrivateKey, nil, 0, `key 0 (kid "h"): "k" is a shared secret`},
		{"oct without k skipped without HS", []string{hs(map[string]any{"k": nil}), es(nil)}, nil, nil, []Algorithm{ES256}, 1, ""},
		{"oct with HS", []string{hs(map[string]any{"kid": "h"})}, []Algorithm{HS256}, nil, []Algorithm{HS256}, 0, ""},
		{"oct bound by algorithms", []string{k.jwkJSON(t, HS512, map[string]any{"alg": nil})}, []Algorithm{HS512}, nil, []Algorithm{HS512}, 0, ""},
		{"oct without alg, two HS", []string{hs(map[string]any{"alg": nil})}, []Algorithm{HS256, HS384}, ErrInvalidKey, nil, 0, "exactly one HS algorithm"},
		{"oct too short", []string{hs(map[string]any{"k": b64(make([]byte, 31))})}, []Algorithm{HS256}, ErrInvalidKey, nil, 0, "at least 32"},
		{"oct HS512 too short", []string{k.jwkJSON(t, HS512, map[string]any{"k": b64(make([]byte, 48))})}, []Algorithm{HS512}, ErrInvalidKey, nil, 0, "at least 64"},
		{"oct empty", []string{hs(map[string]any{"k": ""})}, []Algorithm{HS256}, ErrInvalidKey, nil, 0, ""},
		{"HS next to other key types", []string{hs(nil), es(nil)}, []Algorithm{HS256, ES256}, ErrInvalidKey, nil, 0, `must be "oct"`},
		{"HS next to skipped key type", []string{hs(nil), rs(map[string]any{"use": "enc"})}, []Algorithm{HS256}, ErrInvalidKey, nil, 0, `must be "oct"`},
		{"duplicate kid", []string{rs(map[string]any{"kid": "a"}), es(map[string]any{"kid": "a"})}, nil, ErrInvalidKey, nil, 0, "duplicate kid"},
		{"duplicate kid of a skipped key refused", []string{rs(map[string]any{"kid": "a", "use": "enc"}), es(map[string]any{"kid": "a"})}, nil, ErrInvalidKey, nil, 0, "duplicate kid"},
		{"EC private key refused", []string{es(map[string]any{"kid": "e", "d": b64(k.p256.D.Bytes())})}, nil, ErrPrivateKey, nil, 0, `key 0 (kid "e"): holds private key members ("d")`},
		{"RSA private key refused", []string{es(nil), rs(map[string]any{"d": "AAAA", "p": "AAAA", "q": "AAAA", "dp": "AAAA", "dq": "AAAA", "qi": "AAAA"})}, nil, ErrPrivateKey, nil, 0, `key 1 (no kid): holds private key members ("d", "p", "q", "dp", "dq", "qi")`},
		{"RSA oth refused", []string{rs(map[string]any{"oth": []any{map[string]any{"r": "AAAA", "d": "AAAA", "t": "AAAA"}}})}, nil, ErrPrivateKey, nil, 0, `("oth")`},
		{"Ed25519 private key refused", []string{ed(map[string]any{"d": "AAAA"})}, nil, ErrPrivateKey, nil, 0, `("d")`},
		{"private member of the wrong type refused", []string{es(map[string]any{"d": 1})}, nil, ErrPrivateKey, nil, 0, `("d")`},
		{"private key refused though skipped otherwise", []string{es(map[string]any{"use": "enc", "d": "AAAA"}), rs(nil)}, nil, ErrPrivateKey, nil, 0, `("d")`},
		{"private key of an unsupported type refused", []string{`{"kty":"OKP","crv":"X25519","x":"AA","d":"AA"}`, es(nil)}, nil, ErrPrivateKey, nil, 0, `("d")`},
		{"private key in an HS issuer refused", []string{hs(nil), `{"kty":"oct","k":"` + b64(k.hs) + `","d":"AA"}`}, []Algorithm{HS256}, ErrPrivateKey, nil, 0, `key 1 (no kid): holds private key members ("d")`},
		{"x5c ignored", []string{es(map[string]any{"x5c": []string{"MII"}, "x5u": "https://x"})}, nil, nil, []Algorithm{ES256}, 0, ""},
		{"algorithms with none", []string{es(nil)}, []Algorithm{"none"}, ErrInvalidKey, nil, 0, "none"},
		{"algorithms empty", []string{es(nil)}, []Algorithm{}, ErrInvalidKey, nil, 0, "empty"},
		{"key not an object", []string{`"x"`}, nil, ErrInvalidKey, nil, 0, "key 0"},
		{"names the key", []string{es(nil), es(map[string]any{"kid": "k\"2", "alg": "ES512"})}, nil, ErrInvalidKey, nil, 0, `key 1 (kid "k\"2")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := `{"keys":[` + strings.Join(c.keys, ",") + `]}`
			ks, warnings, err := ParseKeySet([]byte(set), c.algs)
			if c.want != nil {
				if !errors.Is(err, c.want) || ks != nil {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				if !strings.Contains(err.Error(), c.msg) {
					t.Errorf("message %q lacks %q", err, c.msg)
				}
				checkNoKeyMaterial(t, err.Error(), c.keys)
				return
			}
			if err != nil {
				t.Fatalf("got %v", err)
			}
			if len(warnings) != c.warnings {
				t.Errorf("warnings %q, want %d", warnings, c.warnings)
			}
			var bound []Algorithm
			for _, key := range ks.Keys {
				bound = append(bound, key.Alg)
			}
			if len(bound) != len(c.bound) || (len(bound) > 0 && bound[0] != c.bound[0]) {
				t.Errorf("bound %v, want %v", bound, c.bound)
			}
		})
	}
}

// checkNoKeyMaterial fails if msg quotes a base64url key member of any key.
func checkNoKeyMaterial(t *testing.T, msg string, keys []string) {
	t.Helper()
	for _, k := range keys {
		for _, m := range []string{"n", "x", "y", "k", "e", "d"} {
			marker := `"` + m + `":"`
			if i := strings.Index(k, marker); i >= 0 {
				v := k[i+len(marker):]
				v = v[:strings.IndexByte(v, '"')]
				if len(v) >= 8 && strings.Contains(msg, v) {
					t.Errorf("error message contains key member %q", m)
				}
			}
		}
	}
}

func TestParseKeySetJSON(t *testing.T) {
	k := tk(t)
	es := k.jwkJSON(t, ES256, nil)
	for name, set := range map[string]string{
		"duplicate top-level":      `{"keys":[],"keys":[` + es + `]}`,
		"duplicate in key":         `{"keys":[` + es[:len(es)-1] + `,"kty":"EC"}]}`,
		"escaped duplicate in key": `{"keys":[` + es[:len(es)-1] + `,"\u006bty":"EC"}]}`,
		"not JSON":                 `{"keys":[`,
		"keys missing":             `{}`,
		"keys not array":           `{"keys":{}}`,
		"array":                    `[` + es + `]`,
		"invalid UTF-8":            `{"keys":[` + es + `],"x":"` + "\xff" + `"}`,
	} {
		if _, _, err := ParseKeySet([]byte(set), nil); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: got %v, want ErrInvalidKey", name, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	k := tk(t)
	key, w, err := ParseKey([]byte(k.jwkJSON(t, PS512, map[string]any{"kid": "p"})), nil)
	if err != nil || len(w) != 0 || key.Alg != PS512 || key.ID != "p" || key.Kty != "RSA" {
		t.Fatalf("got %+v %v %v", key, w, err)
	}
	_, w, err = ParseKey([]byte(k.jwkJSON(t, ES256, map[string]any{"use": "enc"})), nil)
	if !errors.Is(err, ErrNoUsableKey) || len(w) != 1 {
		t.Errorf("skipped key: %v %v", w, err)
	}
	if _, _, err = ParseKey([]byte(`{"kty":"EC","kty":"EC"}`), nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("duplicate: %v", err)
	}
}

func TestROCA(t *testing.T) {
	k := tk(t)
	if hasROCAFingerprint(k.rsa.N) {
		t.Error("random key flagged")
	}
	// A ROCA-style modulus: a product of values 65537^a mod M (M = primorial of the test primes).
	m := big.NewInt(1)
	for _, p := range rocaPrimes {
		m.Mul(m, big.NewInt(p))
	}
	g := big.NewInt(65537)
	n := new(big.Int).Mul(new(big.Int).Exp(g, big.NewInt(12345), m), new(big.Int).Exp(g, big.NewInt(67890), m))
	n.Add(n, new(big.Int).Mul(m, big.NewInt(1<<40)))
	if !hasROCAFingerprint(n) {
		t.Error("fingerprinted modulus not flagged")
	}
}
