package config

import (
	"encoding/base64"

	"github.com/audguard/audguard/jwtlite"
)

// The DPoP keys (RFC 9449; docs/configuration.md#resourcesdpop). dpop is read
// first: the other resource keys need it not to be "off".

// readDPoP reads resources[].dpop: "off" (the default), "allowed" or
// "required". It also sets the defaults of the other DPoP keys.
func readDPoP(_ *loader, _, v *node, r *Resource) error {
	r.DPoP = DPoPOff
	r.DPoPIATWindowSeconds = DefaultDPoPIATWindowSeconds
	if v == nil {
		return nil
	}
	w, err := readWord(v, "off", "allowed", "required")
	if err != nil {
		return err
	}
	switch w {
	case "allowed":
		r.DPoP = DPoPAllowed
	case "required":
		r.DPoP = DPoPRequired
	}
	if r.DPoP != DPoPOff {
		r.DPoPAlgorithms = DefaultDPoPAlgorithms
	}
	return nil
}

// dpopOnly refuses a DPoP key on a resource whose dpop is "off": it would
// configure nothing, and its author most likely meant DPoP to be on.
func dpopOnly(v *node, r *Resource) error {
	if r.DPoP == DPoPOff {
		return refuse(v.path(), `has no effect while "dpop" is "off"`,
			`set "dpop" to "allowed" or "required", or remove this member`)
	}
	return nil
}

// readDPoPAlgorithms reads resources[].dpop_algorithms: asymmetric JWS
// algorithms only (RFC 9449 §4.3 step 5: never none, never a symmetric one).
func readDPoPAlgorithms(_ *loader, _, v *node, r *Resource) error {
	if v == nil {
		return nil
	}
	if err := dpopOnly(v, r); err != nil {
		return err
	}
	names, elems, err := readStrings(v)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return refuse(v.path(), "must not be empty", `list the proof algorithms to accept, or omit "dpop_algorithms" for the default list`)
	}
	out := make([]jwtlite.Algorithm, len(names))
	for i, s := range names {
		a, ok := jwtlite.ParseAlgorithm(s)
		if !ok || a.IsHMAC() {
			return refuse(elems[i].path(), quote(s)+" is not an asymmetric JWS algorithm a DPoP proof may use",
				"use ES256, ES384, ES512, EdDSA, Ed25519, PS256, PS384, PS512, RS256, RS384 or RS512 (never none or HS*: RFC 9449 §4.3)")
		}
		out[i] = a
	}
	r.DPoPAlgorithms = out
	return nil
}

// readDPoPNonce reads resources[].dpop_nonce.
func readDPoPNonce(_ *loader, _, v *node, r *Resource) error {
	if v == nil {
		return nil
	}
	if err := dpopOnly(v, r); err != nil {
		return err
	}
	var err error
	r.DPoPNonce, err = readBool(v)
	return err
}

// readDPoPIATWindow reads resources[].dpop_iat_window_seconds.
func readDPoPIATWindow(_ *loader, _, v *node, r *Resource) error {
	if v == nil {
		return nil
	}
	if err := dpopOnly(v, r); err != nil {
		return err
	}
	n, err := readInt(v, MinDPoPIATWindowSeconds, MaxDPoPIATWindowSeconds)
	if err != nil {
		return err
	}
	r.DPoPIATWindowSeconds = int32(n)
	return nil
}

// readDPoPNonceSecret reads dpop_nonce_secret: base64url (RFC 4648 §5,
// padding optional) of at least MinDPoPNonceSecretBytes bytes.
func readDPoPNonceSecret(l *loader, _, v *node, p *Plugin) error {
	if v == nil {
		return nil
	}
	s, err := readString(v)
	if err != nil {
		return err
	}
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < MinDPoPNonceSecretBytes {
		return refuse(v.path(), "must be the base64url encoding of at least "+itoa(MinDPoPNonceSecretBytes)+" bytes",
			"generate one with: head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='")
	}
	p.DPoPNonceSecret = b
	l.warn(v.path(), "the DPoP nonce secret is visible in the host's config dump (audguard's own dump of the configuration leaves it out)")
	return nil
}
