// Package keyfile reads and writes the private signing keys that
// `audguard token` and `make demo` mint test tokens with: private JWKs
// (RFC 7517 §4, RFC 7518 §6.3.2 RSA, §6.2.2 EC, RFC 8037 §2 OKP Ed25519) and
// unencrypted PEM files (PKCS #8, PKCS #1, SEC 1). Standard library only.
//
// These keys are for demos and tests; errors never quote key material.
package keyfile

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"

	"github.com/audguard/audguard/internal/mint"
)

// ErrKey is wrapped by every error of this package: the file is not a usable
// private signing key for the requested algorithm.
var ErrKey = errors.New("keyfile: unusable private key")

func fail(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrKey}, args...)...)
}

// Load parses a private key file (a private JWK or a PEM block) into a mint
// key. alg and kid override the JWK's "alg" and "kid"; an empty alg is taken
// from the JWK, else from the key type (RSA → RS256, EC by curve, Ed25519 →
// EdDSA). The algorithm must fit the key (RFC 8725 §3.1). Symmetric (oct)
// keys are refused: a shared secret is not a demo signing key.
func Load(data []byte, alg, kid string) (*mint.Key, error) {
	trimmed := bytes.TrimSpace(data)
	var signer crypto.Signer
	if bytes.HasPrefix(trimmed, []byte("{")) {
		s, jalg, jkid, err := parseJWK(trimmed)
		if err != nil {
			return nil, err
		}
		signer = s
		if alg == "" {
			alg = jalg
		}
		if kid == "" {
			kid = jkid
		}
	} else {
		s, err := parsePEM(trimmed)
		if err != nil {
			return nil, err
		}
		signer = s
	}
	if alg == "" {
		alg = DefaultAlg(signer)
	}
	if err := fits(alg, signer); err != nil {
		return nil, err
	}
	return mint.FromSigner(alg, kid, signer), nil
}

// DefaultAlg is the algorithm a key implies when none is given.
func DefaultAlg(s crypto.Signer) string {
	switch k := s.(type) {
	case *rsa.PrivateKey:
		return "RS256"
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256"
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
	case ed25519.PrivateKey:
		return "EdDSA"
	}
	return ""
}

// fits checks that alg is an asymmetric JWS algorithm for the key's type
// (RFC 7518 §3.1, RFC 8037 §3.1); ES* must match the curve.
func fits(alg string, s crypto.Signer) error {
	switch k := s.(type) {
	case *rsa.PrivateKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			if k.N.BitLen() < 2048 {
				return fail("RSA keys need at least 2048 bits")
			}
			return nil
		}
	case *ecdsa.PrivateKey:
		if alg == DefaultAlg(k) && alg != "" {
			return nil
		}
	case ed25519.PrivateKey:
		if alg == "EdDSA" || alg == "Ed25519" {
			return nil
		}
	}
	return fail("algorithm %q does not fit this key", alg)
}

// parsePEM reads one unencrypted PEM private key.
func parsePEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fail("neither a JWK (JSON object) nor a PEM block")
	}
	if _, encrypted := block.Headers["Proc-Type"]; encrypted {
		return nil, fail("encrypted PEM keys are not supported")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fail("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, fail("PEM %s does not parse", block.Type)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fail("PEM key type is not supported")
	}
	return s, nil
}

// privateJWK holds the members read from a private JWK.
type privateJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	P   string `json:"p"`
	Q   string `json:"q"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Oth any    `json:"oth"`
}

// parseJWK reads a private JWK and checks its public members against the
// private ones, so a mismatched file is refused rather than signing with a
// key nobody can verify.
func parseJWK(data []byte) (crypto.Signer, string, string, error) {
	var j privateJWK
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&j); err != nil {
		return nil, "", "", fail("the JWK is not a JSON object of strings")
	}
	if j.D == "" {
		return nil, "", "", fail(`the JWK has no private member "d": a public key cannot sign`)
	}
	var s crypto.Signer
	var err error
	switch j.Kty {
	case "RSA":
		s, err = rsaJWK(&j)
	case "EC":
		s, err = ecJWK(&j)
	case "OKP":
		s, err = okpJWK(&j)
	case "oct":
		return nil, "", "", fail("symmetric (oct) keys are not supported")
	default:
		return nil, "", "", fail("JWK kty %q is not supported", j.Kty)
	}
	if err != nil {
		return nil, "", "", err
	}
	return s, j.Alg, j.Kid, nil
}

func b64(member, v string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) == 0 {
		return nil, fail("JWK member %q is not non-empty base64url", member)
	}
	return b, nil
}

func bigInt(member, v string) (*big.Int, error) {
	b, err := b64(member, v)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

// rsaJWK builds an RSA private key from n, e, d, p, q (RFC 7518 §6.3.2).
func rsaJWK(j *privateJWK) (crypto.Signer, error) {
	if j.Oth != nil {
		return nil, fail("multi-prime RSA keys are not supported")
	}
	var vals [5]*big.Int
	for i, m := range [][2]string{{"n", j.N}, {"e", j.E}, {"d", j.D}, {"p", j.P}, {"q", j.Q}} {
		v, err := bigInt(m[0], m[1])
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if !vals[1].IsInt64() || vals[1].Int64() > 1<<31 {
		return nil, fail("RSA exponent is out of range")
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: vals[0], E: int(vals[1].Int64())},
		D:         vals[2],
		Primes:    []*big.Int{vals[3], vals[4]},
	}
	if err := k.Validate(); err != nil {
		return nil, fail("RSA key members are inconsistent")
	}
	k.Precompute()
	return k, nil
}

// ecJWK builds an EC private key from crv, d and checks x, y (RFC 7518 §6.2.2).
func ecJWK(j *privateJWK) (crypto.Signer, error) {
	var curve elliptic.Curve
	switch j.Crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, fail("EC curve %q is not supported", j.Crv)
	}
	d, err := b64("d", j.D)
	if err != nil {
		return nil, err
	}
	k, err := ecdsa.ParseRawPrivateKey(curve, d)
	if err != nil {
		return nil, fail("EC private scalar is invalid")
	}
	x, err := b64("x", j.X)
	if err != nil {
		return nil, err
	}
	y, err := b64("y", j.Y)
	if err != nil {
		return nil, err
	}
	pub, err := k.PublicKey.Bytes()
	size := (curve.Params().BitSize + 7) / 8
	if err != nil || !bytes.Equal(pub[1:1+size], x) || !bytes.Equal(pub[1+size:], y) {
		return nil, fail("EC public members x, y do not match d")
	}
	return k, nil
}

// okpJWK builds an Ed25519 private key from d (the seed) and checks x (RFC 8037 §2).
func okpJWK(j *privateJWK) (crypto.Signer, error) {
	if j.Crv != "Ed25519" {
		return nil, fail("OKP curve %q is not supported", j.Crv)
	}
	d, err := b64("d", j.D)
	if err != nil {
		return nil, err
	}
	if len(d) != ed25519.SeedSize {
		return nil, fail("Ed25519 d must be %d bytes", ed25519.SeedSize)
	}
	k := ed25519.NewKeyFromSeed(d)
	x, err := b64("x", j.X)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(x, k.Public().(ed25519.PublicKey)) {
		return nil, fail("Ed25519 public member x does not match d")
	}
	return k, nil
}
