package mint

import (
	"crypto/sha256"
	"encoding/json"
)

// DPoP proofs (RFC 9449 §4.2) for tests and the demo.

// DPoPJWK returns the key's public JWK as a DPoP proof carries it: the key
// members only (no kid, alg or use).
func (k *Key) DPoPJWK() map[string]any {
	j := k.Public()
	delete(j, "kid")
	delete(j, "use")
	delete(j, "alg")
	return j
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the key's public JWK,
// base64url: the "jkt" of a token bound to it (RFC 9449 §6.1).
func (k *Key) Thumbprint() string {
	j := k.Public()
	var req map[string]any
	switch j["kty"] {
	case "RSA":
		req = map[string]any{"e": j["e"], "kty": "RSA", "n": j["n"]}
	case "EC":
		req = map[string]any{"crv": j["crv"], "kty": "EC", "x": j["x"], "y": j["y"]}
	case "OKP":
		req = map[string]any{"crv": j["crv"], "kty": "OKP", "x": j["x"]}
	default:
		return ""
	}
	b, _ := json.Marshal(req) // map keys sorted, no whitespace: RFC 7638 §3.3
	sum := sha256.Sum256(b)
	return b64(sum[:])
}

// TokenHash is a proof's "ath" for an access token: base64url(SHA-256(token)) (RFC 9449 §4.2).
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64(sum[:])
}

// DPoPProof signs a DPoP proof with header {"typ": "dpop+jwt", "alg", "jwk"}
// plus extra header members (a nil value removes one) and the given claims
// (jti, htm, htu, iat, and ath or nonce as the caller needs).
func (k *Key) DPoPProof(claims map[string]any, extraHeader map[string]any) (string, error) {
	h := map[string]any{"typ": "dpop+jwt", "kid": nil, "jwk": k.DPoPJWK()}
	for name, v := range extraHeader {
		h[name] = v
	}
	return k.Sign(claims, h)
}
