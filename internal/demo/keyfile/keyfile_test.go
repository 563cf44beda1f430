package keyfile

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"testing"

	"github.com/audguard/audguard/internal/mint"
)

// TestLoadRoundTrip writes each generated key as a private JWK (mint.Key.Private)
// and reads it back; the token it signs must verify with the original public key.
func TestLoadRoundTrip(t *testing.T) {
	for _, alg := range []string{"RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			k, err := mint.NewKey(alg, "kid-"+alg)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(k.Private())
			got, err := Load(raw, "", "")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.Alg != alg || got.Kid != "kid-"+alg {
				t.Fatalf("alg/kid = %s/%s", got.Alg, got.Kid)
			}
			pub1, _ := json.Marshal(k.Public())
			pub2, _ := json.Marshal(got.Public())
			if string(pub1) != string(pub2) {
				t.Fatalf("public JWK changed:\n%s\n%s", pub1, pub2)
			}
		})
	}
}

func TestLoadPEM(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	p8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	cases := []struct {
		name, alg, want string
		data            []byte
	}{
		{"pkcs8 ec", "", "ES384", p8(ec)},
		{"sec1 ec", "", "ES384", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})},
		{"pkcs8 ed25519", "", "EdDSA", p8(ed)},
		{"pkcs1 rsa ps256", "PS256", "PS256", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rs)})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := Load(c.data, c.alg, "k")
			if err != nil {
				t.Fatal(err)
			}
			if k.Alg != c.want {
				t.Fatalf("alg = %s, want %s", k.Alg, c.want)
			}
			if _, err := k.Sign(map[string]any{"iss": "x"}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLoadE2EKeys reads the committed test-only PEM keys the demo uses.
func TestLoadE2EKeys(t *testing.T) {
	for file, alg := range map[string]string{"rsa-test-only.key.pem": "RS256", "ec-p256-test-only.key.pem": "ES256"} {
		data, err := os.ReadFile("../../../e2e/keys/" + file)
		if err != nil {
			t.Fatal(err)
		}
		k, err := Load(data, "", "")
		if err != nil || k.Alg != alg {
			t.Fatalf("%s: %v alg %v", file, err, k)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	ec, _ := mint.NewKey("ES256", "k")
	other, _ := mint.NewKey("ES256", "k")
	priv := ec.Private()
	priv["x"] = other.Public()["x"] // public half of another key
	mismatch, _ := json.Marshal(priv)
	pub, _ := json.Marshal(ec.Public())
	good, _ := json.Marshal(ec.Private())
	hs, _ := mint.NewKey("HS256", "h")
	hsJWK, _ := json.Marshal(hs.Private())
	cases := map[string]struct {
		data []byte
		alg  string
	}{
		"public only":     {pub, ""},
		"mismatched x":    {mismatch, ""},
		"wrong alg":       {good, "RS256"},
		"wrong curve":     {good, "ES384"},
		"oct":             {hsJWK, ""},
		"garbage":         {[]byte("hello"), ""},
		"bad json":        {[]byte("{"), ""},
		"cert pem":        {pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), ""},
		"broken pkcs8":    {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}}), ""},
		"unknown kty":     {[]byte(`{"kty":"XYZ","d":"AQ"}`), ""},
		"rsa missing p":   {[]byte(`{"kty":"RSA","n":"AQ","e":"AQAB","d":"AQ"}`), ""},
		"ed25519 short d": {[]byte(`{"kty":"OKP","crv":"Ed25519","d":"AQ","x":"AQ"}`), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(c.data, c.alg, ""); !errors.Is(err, ErrKey) {
				t.Fatalf("err = %v, want ErrKey", err)
			}
		})
	}
}
