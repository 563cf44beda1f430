package jwtlite

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"sync"
	"testing"
)

// testKeys are generated once per test binary.
type testKeys struct {
	rsa              *rsa.PrivateKey
	p256, p384, p521 *ecdsa.PrivateKey
	ed               ed25519.PrivateKey
	hs               []byte // 64 bytes: long enough for HS512
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func tk(t testing.TB) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		keys.p256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		keys.p384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		keys.p521, _ = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		_, keys.ed, _ = ed25519.GenerateKey(rand.Reader)
		keys.hs = make([]byte, 64)
		_, _ = rand.Read(keys.hs)
	})
	return &keys
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func pad(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out[n-len(b):], b)
	return out
}

// ecFor returns the private key for an ES* algorithm.
func (k *testKeys) ecFor(a Algorithm) *ecdsa.PrivateKey {
	switch a {
	case ES384:
		return k.p384
	case ES512:
		return k.p521
	}
	return k.p256
}

// jwkJSON returns the public JWK (as a JSON object text) for alg, with extra members merged in
// (a nil value deletes a member).
func (k *testKeys) jwkJSON(t testing.TB, alg Algorithm, extra map[string]any) string {
	t.Helper()
	m := map[string]any{}
	switch {
	case alg.isRSA():
		m["kty"], m["n"], m["e"] = "RSA", b64(k.rsa.N.Bytes()), b64(big.NewInt(int64(k.rsa.E)).Bytes())
	case alg.ecCurve() != "":
		pk := k.ecFor(alg)
		size := (pk.Curve.Params().BitSize + 7) / 8
		pub, err := pk.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		m["kty"], m["crv"] = "EC", alg.ecCurve()
		m["x"], m["y"] = b64(pub[1:1+size]), b64(pub[1+size:])
	case alg.isEdDSA():
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(k.ed.Public().(ed25519.PublicKey))
	case alg.IsHMAC():
		m["kty"], m["k"] = "oct", b64(k.hs)
	}
	m["alg"] = string(alg)
	for name, v := range extra {
		if v == nil {
			delete(m, name)
		} else {
			m[name] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign produces a JWS signature with the test key for alg.
func (k *testKeys) sign(t testing.TB, alg Algorithm, input []byte) []byte {
	t.Helper()
	var buf [64]byte
	h := alg.hash()
	var digest []byte
	if h != 0 {
		digest = sum(h, input, buf[:0])
	}
	switch {
	case alg.isEdDSA():
		return ed25519.Sign(k.ed, input)
	case alg.IsHMAC():
		m := hmac.New(h.New, k.hs)
		m.Write(input)
		return m.Sum(nil)
	case alg[0] == 'R':
		s, err := rsa.SignPKCS1v15(rand.Reader, k.rsa, h, digest)
		if err != nil {
			t.Fatal(err)
		}
		return s
	case alg[0] == 'P':
		s, err := rsa.SignPSS(rand.Reader, k.rsa, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			t.Fatal(err)
		}
		return s
	default:
		pk := k.ecFor(alg)
		r, s, err := ecdsa.Sign(rand.Reader, pk, digest)
		if err != nil {
			t.Fatal(err)
		}
		n := (pk.Curve.Params().BitSize + 7) / 8
		return append(pad(r.Bytes(), n), pad(s.Bytes(), n)...)
	}
}

// mintRaw signs header and payload JSON texts as given.
func (k *testKeys) mintRaw(t testing.TB, alg Algorithm, header, payload string) string {
	t.Helper()
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	return input + "." + b64(k.sign(t, alg, []byte(input)))
}

// mint builds a token with header {"alg","kid","typ":"at+jwt"} and the given claims.
func (k *testKeys) mint(t testing.TB, alg Algorithm, kid string, claims map[string]any) string {
	t.Helper()
	h := fmt.Sprintf(`{"alg":%q,"kid":%q,"typ":"at+jwt"}`, alg, kid)
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return k.mintRaw(t, alg, h, string(c))
}

// keySet parses a JWK Set of the given JWK texts or fails the test.
func keySet(t testing.TB, algorithms []Algorithm, jwks ...string) *KeySet {
	t.Helper()
	set := `{"keys":[`
	for i, j := range jwks {
		if i > 0 {
			set += ","
		}
		set += j
	}
	ks, _, err := ParseKeySet([]byte(set+"]}"), algorithms)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}
