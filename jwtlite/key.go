package jwtlite

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"hash"
)

// Key is a verification key bound to exactly one algorithm (RFC 8725 §3.1; docs/configuration.md#keys).
type Key struct {
	ID  string    // JWK "kid" ("" if absent)
	Alg Algorithm // the bound algorithm
	Kty string    // "RSA", "EC", "OKP", "oct"

	hasKid bool              // the JWK had a "kid" member
	rsa    *rsa.PublicKey    // Kty "RSA"
	ec     *ecdsa.PublicKey  // Kty "EC"
	ed     ed25519.PublicKey // Kty "OKP", crv Ed25519 (32 bytes)
	secret []byte            // Kty "oct"

	fingerprint [32]byte // see Fingerprint
}

// hmacHash is the constructor hmac.New takes.
type hmacHash = func() hash.Hash
