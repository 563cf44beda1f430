package jwtlite

import (
	"slices"

	"github.com/audguard/audguard/internal/strsort"
)

// KeySet is a parsed JWK Set (RFC 7517 §5) with every usable key bound to one algorithm.
type KeySet struct {
	Keys []*Key // usable keys, in JWKS order

	byKid map[string]*Key // keys that have a "kid"
}

// Select picks the key for a token header (docs/configuration.md#keys, docs/request-flow.md#11-verification step 5; RFC 7515 §4.1.4): the
// key whose "kid" equals h.Kid; when the header has no "kid", the only key if the set has
// exactly one usable key. The header's alg must then equal the key's bound algorithm (EdDSA and
// Ed25519 are interchangeable). Anything else gives ErrUnknownKey. Zero allocations.
func (ks *KeySet) Select(h *Header) (*Key, error) {
	if ks == nil || h == nil {
		return nil, ErrUnknownKey
	}
	var k *Key
	if h.HasKid {
		k = ks.byKid[string(h.Kid)]
	} else if len(ks.Keys) == 1 {
		k = ks.Keys[0]
	}
	if k == nil || !sameAlgorithm(h.Alg, k.Alg) {
		return nil, ErrUnknownKey
	}
	return k, nil
}

// Algorithms returns the distinct bound algorithms of the usable keys, sorted.
func (ks *KeySet) Algorithms() []Algorithm {
	var out []Algorithm
	for _, k := range ks.Keys {
		if !slices.Contains(out, k.Alg) {
			out = append(out, k.Alg)
		}
	}
	strsort.Sort(out)
	return out
}
