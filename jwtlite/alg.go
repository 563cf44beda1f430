package jwtlite

import "crypto"

// Algorithm is a JWS "alg" value (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2).
type Algorithm string

// The JWS algorithms jwtlite implements.
const (
	RS256 Algorithm = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3)
	RS384 Algorithm = "RS384"
	RS512 Algorithm = "RS512"
	PS256 Algorithm = "PS256" // RSASSA-PSS, MGF1 with the same hash, salt length = hash length (RFC 7518 §3.5)
	PS384 Algorithm = "PS384"
	PS512 Algorithm = "PS512"
	ES256 Algorithm = "ES256" // ECDSA P-256, signature R||S of fixed length (RFC 7518 §3.4)
	ES384 Algorithm = "ES384"
	ES512 Algorithm = "ES512"
	// EdDSA is Ed25519 over an OKP key (RFC 8037 §3.1).
	EdDSA Algorithm = "EdDSA"
	// Ed25519 is the fully-specified name of RFC 9864 §2.2; interchangeable with EdDSA for an Ed25519 key.
	Ed25519 Algorithm = "Ed25519"
	HS256   Algorithm = "HS256" // HMAC with SHA-256 (RFC 7518 §3.2); only with oct keys and only when explicitly allowed
	HS384   Algorithm = "HS384"
	HS512   Algorithm = "HS512"
)

// allAlgorithms lists every implemented algorithm, sorted.
var allAlgorithms = []Algorithm{EdDSA, ES256, ES384, ES512, Ed25519, HS256, HS384, HS512, PS256, PS384, PS512, RS256, RS384, RS512}

// ParseAlgorithm returns the implemented algorithm named exactly (case-sensitively) s.
// "none" in any case and every unknown name give false (RFC 8725 §3.1, §3.2).
func ParseAlgorithm(s string) (Algorithm, bool) {
	switch Algorithm(s) {
	case RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519, HS256, HS384, HS512:
		return Algorithm(s), true
	}
	return "", false
}

// parseAlgorithmBytes is ParseAlgorithm for a byte slice without allocating.
func parseAlgorithmBytes(b []byte) (Algorithm, bool) {
	for _, a := range allAlgorithms {
		if string(a) == string(b) {
			return a, true
		}
	}
	return "", false
}

// IsHMAC reports whether a is one of HS256, HS384, HS512.
func (a Algorithm) IsHMAC() bool { return a == HS256 || a == HS384 || a == HS512 }

// isRSA reports whether a is an RS* or PS* algorithm.
func (a Algorithm) isRSA() bool {
	switch a {
	case RS256, RS384, RS512, PS256, PS384, PS512:
		return true
	}
	return false
}

// isEdDSA reports whether a names Ed25519 (EdDSA or Ed25519, RFC 9864 §2.2).
func (a Algorithm) isEdDSA() bool { return a == EdDSA || a == Ed25519 }

// sameAlgorithm reports whether a token alg a is acceptable for a key bound to b:
// equal, or both naming Ed25519 (docs/configuration.md#keys).
func sameAlgorithm(a, b Algorithm) bool { return a == b || (a.isEdDSA() && b.isEdDSA()) }

// hash returns the hash function of a (0 for EdDSA/Ed25519).
func (a Algorithm) hash() crypto.Hash {
	switch a {
	case RS256, PS256, ES256, HS256:
		return crypto.SHA256
	case RS384, PS384, ES384, HS384:
		return crypto.SHA384
	case RS512, PS512, ES512, HS512:
		return crypto.SHA512
	}
	return 0
}

// ecCurve returns the JWK "crv" an ES* algorithm requires ("" otherwise), RFC 7518 §3.4.
func (a Algorithm) ecCurve() string {
	switch a {
	case ES256:
		return "P-256"
	case ES384:
		return "P-384"
	case ES512:
		return "P-521"
	}
	return ""
}
