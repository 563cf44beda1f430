// Package mint makes signing keys and signed JWTs (RFC 7515 compact JWS,
// RFC 9068 access tokens) for tests, benchmarks, the demo and the CLI's
// `audguard token`. It is never linked into the filter: tokens are for
// trying things out, not for production issuers.
package mint

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/big"
)

// Key is a signing key bound to one JWS algorithm.
type Key struct {
	Alg  string // "RS256", "PS256", "ES256", "ES384", "EdDSA", "HS256", ...
	Kid  string
	priv crypto.Signer
	hmac []byte
}

// NewKey generates a fresh key for alg ("RS*"/"PS*": RSA 2048; "ES256/384/512":
// P-256/384/521; "EdDSA"/"Ed25519"; "HS*": a random secret as long as the hash).
func NewKey(alg, kid string) (*Key, error) { return NewKeyFrom(rand.Reader, alg, kid) }

// NewKeyFrom is NewKey with an explicit randomness source.
func NewKeyFrom(r io.Reader, alg, kid string) (*Key, error) {
	k := &Key{Alg: alg, Kid: kid}
	var err error
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		k.priv, err = rsa.GenerateKey(r, 2048)
	case "ES256":
		k.priv, err = ecdsa.GenerateKey(elliptic.P256(), r)
	case "ES384":
		k.priv, err = ecdsa.GenerateKey(elliptic.P384(), r)
	case "ES512":
		k.priv, err = ecdsa.GenerateKey(elliptic.P521(), r)
	case "EdDSA", "Ed25519":
		_, k.priv, err = ed25519.GenerateKey(r)
	case "HS256", "HS384", "HS512":
		k.hmac = make([]byte, hashFor(alg).Size())
		_, err = io.ReadFull(r, k.hmac)
	default:
		return nil, fmt.Errorf("mint: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// FromSigner wraps an existing private key.
func FromSigner(alg, kid string, s crypto.Signer) *Key { return &Key{Alg: alg, Kid: kid, priv: s} }

// Public returns the key's public JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2)
// with kid, alg and use "sig". For HS* keys it returns the oct JWK, secret
// included, since that is what a verifier needs.
func (k *Key) Public() map[string]any {
	j := map[string]any{"use": "sig", "alg": k.Alg}
	if k.Kid != "" {
		j["kid"] = k.Kid
	}
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		j["kty"] = "RSA"
		j["n"] = b64(p.N.Bytes())
		j["e"] = b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PrivateKey:
		j["kty"] = "EC"
		j["crv"] = p.Curve.Params().Name
		size := (p.Curve.Params().BitSize + 7) / 8
		pub, err := p.PublicKey.Bytes() // uncompressed 0x04 || X || Y
		if err == nil {
			j["x"] = b64(pub[1 : 1+size])
			j["y"] = b64(pub[1+size:])
		}
	case ed25519.PrivateKey:
		j["kty"] = "OKP"
		j["crv"] = "Ed25519"
		j["x"] = b64(p.Public().(ed25519.PublicKey))
	default:
		j["kty"] = "oct"
		j["k"] = b64(k.hmac)
	}
	return j
}

// Private returns the private JWK (public members plus d and friends), for
// writing demo key files.
func (k *Key) Private() map[string]any {
	j := k.Public()
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		j["d"] = b64(p.D.Bytes())
		j["p"] = b64(p.Primes[0].Bytes())
		j["q"] = b64(p.Primes[1].Bytes())
	case *ecdsa.PrivateKey:
		if d, err := p.Bytes(); err == nil {
			j["d"] = b64(d)
		}
	case ed25519.PrivateKey:
		j["d"] = b64(p.Seed())
	}
	return j
}

// JWKS returns a JWK Set JSON document of the keys' public JWKs.
func JWKS(keys ...*Key) []byte {
	set := map[string]any{"keys": []any{}}
	list := make([]any, 0, len(keys))
	for _, k := range keys {
		list = append(list, k.Public())
	}
	set["keys"] = list
	b, _ := json.Marshal(set)
	return b
}

// Sign returns the compact JWS of claims with header {"alg", "kid", "typ"}
// plus extra header members (which may override them; a nil value removes
// a member).
func (k *Key) Sign(claims map[string]any, extraHeader map[string]any) (string, error) {
	h := map[string]any{"alg": k.Alg, "typ": "at+jwt"}
	if k.Kid != "" {
		h["kid"] = k.Kid
	}
	for name, v := range extraHeader {
		if v == nil {
			delete(h, name)
		} else {
			h[name] = v
		}
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return k.SignRaw(hb, cb)
}

// SignRaw signs exact header and claims JSON bytes (for malformed-JSON cases).
func (k *Key) SignRaw(header, claims []byte) (string, error) {
	input := b64(header) + "." + b64(claims)
	sig, err := k.SignInput([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

// SignInput signs a JWS signing input with k's algorithm (RFC 7518 §3).
func (k *Key) SignInput(input []byte) ([]byte, error) {
	switch k.Alg {
	case "HS256", "HS384", "HS512":
		m := hmac.New(hashNew(k.Alg), k.hmac)
		m.Write(input)
		return m.Sum(nil), nil
	case "EdDSA", "Ed25519":
		return k.priv.Sign(rand.Reader, input, crypto.Hash(0))
	}
	hf := hashFor(k.Alg)
	h := hf.New()
	h.Write(input)
	digest := h.Sum(nil)
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		if k.Alg[0] == 'P' {
			return rsa.SignPSS(rand.Reader, p, hf, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, p, hf, digest)
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, p, digest)
		if err != nil {
			return nil, err
		}
		size := (p.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, fmt.Errorf("mint: key does not fit %s", k.Alg)
}

func hashFor(alg string) crypto.Hash {
	switch alg[2:] {
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	return crypto.SHA256
}

func hashNew(alg string) func() hash.Hash {
	switch hashFor(alg) {
	case crypto.SHA384:
		return sha512.New384
	case crypto.SHA512:
		return sha512.New
	}
	return sha256.New
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// B64 is base64url without padding (RFC 7515 §2), exported for tests that
// build odd tokens by hand.
func B64(b []byte) string { return b64(b) }
