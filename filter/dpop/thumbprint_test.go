package dpop

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
)

// rfc7638N is the modulus of the RSA key of RFC 7638 §3.1.
const rfc7638N = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

func TestThumbprintVectors(t *testing.T) {
	cases := []struct {
		name, jwk, want string
	}{
		// RFC 7638 §3.1: the RSA example, with its kid and alg (which do not count).
		{"RFC 7638 §3.1", `{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`,
			"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
		// RFC 9449 §6.1 (Figure 7): the jkt of the EC key in the examples' proofs (Figure 4).
		{"RFC 9449 §6.1", `{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}`,
			rfcJKT},
		// RFC 8037 Appendix A.3: the Ed25519 key of A.2.
		{"RFC 8037 A.3", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`,
			"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
		// Member order, white space and escapes in the input do not matter (RFC 7638 §3.3).
		{"reordered, spaced, escaped", "{ \"e\" : \"AQAB\",\n\"n\":\"" + rfc7638N + "\", \"kt\\u0079\":\"RSA\" }",
			"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
	}
	for _, c := range cases {
		got, err := Thumbprint([]byte(c.jwk))
		if err != nil || got != c.want {
			t.Errorf("%s: Thumbprint = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	// RFC 8037 A.1's private key has the A.2 public key: a proof signed with it has the
	// A.3 thumbprint.
	d, _ := base64.RawURLEncoding.DecodeString("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
	key := ed25519.NewKeyFromSeed(d)
	v := newVerifier(t, Config{})
	p, err := v.Verify(mint(t, spec{alg: "EdDSA", key: key}), baseReq, t0)
	if err != nil || p.JKT != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Errorf("proof with the RFC 8037 key: %v, JKT %q", err, p.JKT)
	}
}

func TestThumbprintRefuses(t *testing.T) {
	cases := []struct {
		name, jwk string
		want      error
	}{
		{"not JSON", `{"kty":`, ErrMalformed},
		{"array", `[]`, ErrMalformed},
		{"duplicate member", `{"kty":"OKP","crv":"Ed25519","x":"AA","x":"AB"}`, ErrMalformed},
		{"duplicate by escape", `{"kty":"OKP","crv":"Ed25519","x":"AA","\u0078":"AB"}`, ErrMalformed},
		{"no kty", `{"crv":"Ed25519","x":"AA"}`, ErrKeyUnusable},
		{"kty not a string", `{"kty":1,"crv":"Ed25519","x":"AA"}`, ErrKeyUnusable},
		{"oct", `{"kty":"oct","k":"AAAA"}`, ErrKeyUnusable},
		{"unknown kty", `{"kty":"XYZ","x":"AA"}`, ErrKeyUnusable},
		{"EC without y", `{"kty":"EC","crv":"P-256","x":"AA"}`, ErrKeyUnusable},
		{"EC without crv", `{"kty":"EC","x":"AA","y":"AA"}`, ErrKeyUnusable},
		{"EC x empty", `{"kty":"EC","crv":"P-256","x":"","y":"AA"}`, ErrKeyUnusable},
		{"EC x standard base64", `{"kty":"EC","crv":"P-256","x":"a+/b","y":"AA"}`, ErrKeyUnusable},
		{"EC x padded", `{"kty":"EC","crv":"P-256","x":"AA==","y":"AA"}`, ErrKeyUnusable},
		{"crv with a quote", `{"kty":"OKP","crv":"Ed\"25519","x":"AA"}`, ErrKeyUnusable},
		{"crv with a space", `{"kty":"OKP","crv":"Ed 25519","x":"AA"}`, ErrKeyUnusable},
		{"RSA without e", `{"kty":"RSA","n":"AA"}`, ErrKeyUnusable},
		{"RSA n a number", `{"kty":"RSA","n":1,"e":"AQAB"}`, ErrKeyUnusable},
	}
	for _, c := range cases {
		if got, err := Thumbprint([]byte(c.jwk)); err != c.want || got != "" {
			t.Errorf("%s: %q, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// TestThumbprintOfEveryTestKey: the hash input has exactly the RFC 7638 §3.2 shape for each
// key type.
func TestThumbprintOfEveryTestKey(t *testing.T) {
	testKeys(t)
	for _, k := range []crypto.Signer{p256, p384, p521, edKey, rsaKey} {
		j := publicJWK(k)
		var in string
		switch j["kty"] {
		case "EC":
			in = fmt.Sprintf(`{"crv":"%s","kty":"EC","x":"%s","y":"%s"}`, j["crv"], j["x"], j["y"])
		case "OKP":
			in = fmt.Sprintf(`{"crv":"%s","kty":"OKP","x":"%s"}`, j["crv"], j["x"])
		case "RSA":
			in = fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, j["e"], j["n"])
		}
		sum := sha256.Sum256([]byte(in))
		j["kid"], j["use"] = "k", "sig"
		if got, err := Thumbprint([]byte(marshal(t, j))); err != nil || got != b64(sum[:]) {
			t.Errorf("%s: %q, %v; want %q", j["kty"], got, err, b64(sum[:]))
		}
	}
}
