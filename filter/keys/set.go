package keys

import (
	"errors"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/jwtlite"
)

// Limits of a fetched JWK Set.
const (
	// MaxBodyBytes bounds a JWK Set response body; the glue reads at most MaxBodyBytes+1 bytes
	// so a larger body is seen as too large without being copied whole.
	MaxBodyBytes = 256 << 10
	// MaxSetKeys bounds the keys (usable or not) in one set: every VM of the proxy re-judges
	// each published set, and each EC or RSA key costs a point or modulus check.
	MaxSetKeys = 100
)

// Reasons a JWK Set is refused. The messages are fixed sentences: they never quote the body,
// a kid or key material, so they can go into a log line as they are.
var (
	ErrBodyTooLarge    = errors.New("body larger than " + itoa(MaxBodyBytes) + " bytes")
	ErrNotJWKSet       = errors.New(`not a JWK Set (a UTF-8 JSON object with a "keys" array)`)
	ErrDuplicateMember = errors.New("duplicate JSON member")
	ErrTooManyKeys     = errors.New("more than " + itoa(MaxSetKeys) + " keys")
	ErrDuplicateKid    = errors.New("two keys share a kid")
	ErrNoUsableKey     = errors.New("no usable key")
)

// Set is a JWK Set accepted from a jwks_uri (or re-judged from shared data).
type Set struct {
	// Compact is the accepted set re-encoded: {"keys":[…]} with only the usable keys and, of
	// each, only the members verification reads (kty, kid, alg, use, crv, n, e, x, y, key_ops),
	// each value copied byte for byte. Private members never survive. ParseSet(Compact) accepts
	// it again and gives the same keys: this is what a VM publishes to the others.
	Compact []byte
	Keys    []*jwtlite.Key // usable keys, in set order
	Skipped int            // keys skipped as unusable, oct keys included
	Private int            // of those, keys that publish private material (see ParseSet)

	elems  [][]byte // the usable keys' compact JSON, aliasing Compact
	kids   []string // their kids ("" when absent; see hasKid)
	hasKid []bool
}

// verificationMembers are the JWK members jwtlite reads (RFC 7517 §4, RFC 7518 §6.2.1, §6.3.1,
// §6.4, RFC 8037 §2), in the order Compact writes them.
var verificationMembers = [...]string{"kty", "kid", "alg", "use", "crv", "n", "e", "x", "y", "key_ops"}

// ParseSet judges a JWK Set response body (RFC 7517 §5) under the rules for configured keys
// (docs/configuration.md#keys, through jwtlite.ParseKey with the issuer's explicit algorithms, nil for the
// default): each key bound to exactly one algorithm (RFC 8725 §3.1), RSA of 2048 to 8192 bits,
// EC points on their curve, "use" and "key_ops" honoured. A key that breaks a rule — and every
// "oct" key, whatever algorithms allows: a shared secret has no place in a published set — is
// skipped and counted in Skipped, never fatal; so is an element of "keys" that is not an
// object. A key with a private member (d, p, q, dp, dq, qi, oth: jwtlite.IsPrivateMember), or
// an "oct" key with its "k", publishes private material: it is skipped whatever else it is and
// counted in Private too (the state warns once per fetch; the issuer's signing keys are
// exposed). Refused, with one of the errors above: a body over MaxBodyBytes; anything but a UTF-8
// JSON object nested at most 32 deep with a "keys" array; a duplicate member name in any
// object (compared after unescaping, as jwtlite does); more than MaxSetKeys elements; two
// elements with the same "kid", usable or not (RFC 7517 §4.5 asks for distinct kids; which key
// a kid names must not depend on which keys happen to be usable, and refusing the set keeps
// the last good one — fail static); no usable key at all.
func ParseSet(body []byte, algorithms []jwtlite.Algorithm) (*Set, error) {
	s, _, err := parseSet(body, algorithms)
	return s, err
}

// parseSet is ParseSet that also reports how many keys published private material, whether
// or not the set is accepted (a set of nothing but private keys has no usable key).
func parseSet(body []byte, algorithms []jwtlite.Algorithm) (*Set, int, error) {
	if len(body) > MaxBodyBytes {
		return nil, 0, ErrBodyTooLarge
	}
	if err := checkJSON(body); err != nil {
		return nil, 0, err
	}
	arr, vt, _, err := jsonparser.Get(body, "keys")
	if err != nil || vt != jsonparser.Array {
		return nil, 0, ErrNotJWKSet
	}
	s := &Set{}
	out := append(make([]byte, 0, len(body)/2+16), `{"keys":[`...)
	var (
		seen  = map[string]bool{}
		n     int
		fatal error
		spans [][2]int
	)
	_, _ = jsonparser.ArrayEach(arr, func(v []byte, et jsonparser.ValueType, _ int, _ error) {
		if fatal != nil {
			return
		}
		if n++; n > MaxSetKeys {
			fatal = ErrTooManyKeys
			return
		}
		if et != jsonparser.Object {
			s.Skipped++
			return
		}
		elem, private, hasK := compactKey(v)
		kid, kerr := jsonparser.GetString(elem, "kid")
		hasKid := kerr == nil
		if hasKid {
			if seen[kid] {
				fatal = ErrDuplicateKid
				return
			}
			seen[kid] = true
		}
		kty, _ := jsonparser.GetString(elem, "kty")
		if private || kty == "oct" && hasK {
			s.Skipped++
			s.Private++
			return
		}
		if kty == "oct" {
			s.Skipped++
			return
		}
		k, _, err := jwtlite.ParseKey(elem, algorithms)
		if err != nil {
			s.Skipped++
			return
		}
		if len(s.Keys) > 0 {
			out = append(out, ',')
		}
		spans = append(spans, [2]int{len(out), len(out) + len(elem)})
		out = append(out, elem...)
		s.Keys = append(s.Keys, k)
		s.kids = append(s.kids, kid)
		s.hasKid = append(s.hasKid, hasKid)
	})
	if fatal != nil {
		return nil, s.Private, fatal
	}
	if len(s.Keys) == 0 {
		return nil, s.Private, ErrNoUsableKey
	}
	s.Compact = append(out, "]}"...)
	for _, sp := range spans {
		s.elems = append(s.elems, s.Compact[sp[0]:sp[1]:sp[1]])
	}
	return s, s.Private, nil
}

// compactKey re-encodes one JWK object with only the verification members, values copied as
// they are (strings still escaped), and reports whether the object has a private member and a
// "k". Member names come unescaped from jsonparser.ObjectEach, the same view jwtlite's decoder
// has; a member the checker has already proven unique.
func compactKey(obj []byte) (elem []byte, private, hasK bool) {
	var vals [len(verificationMembers)][]byte
	var types [len(verificationMembers)]jsonparser.ValueType
	_ = jsonparser.ObjectEach(obj, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		for i, m := range verificationMembers {
			if string(key) == m {
				vals[i], types[i] = v, vt
			}
		}
		private = private || jwtlite.IsPrivateMember(string(key))
		hasK = hasK || string(key) == "k"
		return nil
	})
	out := []byte{'{'}
	for i, m := range verificationMembers {
		if vals[i] == nil {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(append(append(out, '"'), m...), `":`...)
		if types[i] == jsonparser.String {
			out = append(append(append(out, '"'), vals[i]...), '"')
		} else {
			out = append(out, vals[i]...)
		}
	}
	return append(out, '}'), private, hasK
}

// checkJSON accepts a UTF-8 JSON text that is one object, nested at most 32 deep, with no
// duplicate member names in any object after unescaping: jwtlite.CheckJSONObject, the check
// tokens and configured sets pass, so a fetched set is read exactly as a configured one.
func checkJSON(b []byte) error {
	switch err := jwtlite.CheckJSONObject(b); {
	case err == nil:
		return nil
	case errors.Is(err, jwtlite.ErrDuplicateMember):
		return ErrDuplicateMember
	default:
		return ErrNotJWKSet
	}
}
