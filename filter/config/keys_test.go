package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// The test keys are generated once and committed as public JWKs under
// testdata/ (RSA 2048, P-256, Ed25519), with the FuzzLoad seeds that embed
// them. Regenerate both with
//
//	go test ./filter/config/ -run TestRegenerate -regen
var regen = flag.Bool("regen", false, "regenerate the committed test keys and fuzz seeds in testdata/")

var keyFiles = []string{"rsa2048.jwk.json", "p256.jwk.json", "ed25519.jwk.json"}

func TestRegenerate(t *testing.T) {
	if !*regen {
		t.Skip("run with -regen to rewrite testdata/*.jwk.json and testdata/fuzz/FuzzLoad/")
	}
	b64 := base64.RawURLEncoding.EncodeToString
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := ek.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := []map[string]string{
		{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
		{"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": b64(pt[1:33]), "y": b64(pt[33:])},
		{"kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": b64(edPub)},
	}
	for i, k := range jwks {
		b, err := json.MarshalIndent(k, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", keyFiles[i]), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFuzzSeeds(t) // the seeds embed the keys
}

// testKey returns a fresh copy of a committed public JWK as a map.
func testKey(t testing.TB, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("%v (generate with -run TestRegenerate -regen)", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func rsaKey(t testing.TB) map[string]any { return testKey(t, keyFiles[0]) }
func ecKey(t testing.TB) map[string]any  { return testKey(t, keyFiles[1]) }
func edKey(t testing.TB) map[string]any  { return testKey(t, keyFiles[2]) }

// octKey is a test HMAC key of n bytes (docs/configuration.md#keys: at least the hash length).
func octKey(kid string, n int) map[string]any {
	secret := make([]byte, n)
	for i := range secret {
		secret[i] = byte('a' + i%26)
	}
	return map[string]any{"kty": "oct", "kid": kid, "k": base64.RawURLEncoding.EncodeToString(secret)}
}

// bigRSAKey is an RS256 public JWK whose modulus is an odd number of exactly bits bits (not a
// product of two primes: the loader judges size and form only).
func bigRSAKey(t testing.TB, kid string, bits int) map[string]any {
	t.Helper()
	n := bytes.Repeat([]byte{0xa5}, (bits+7)/8) // 0xa5: top and bottom bit set
	if r := bits % 8; r != 0 {
		n[0] = 1<<(r-1) | 1
	}
	return map[string]any{"kty": "RSA", "alg": "RS256", "kid": kid, "n": base64.RawURLEncoding.EncodeToString(n), "e": "AQAB"}
}
