package dpop

import (
	"crypto/subtle"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/jwtlite"
)

// Binding of an access token to the proof key (RFC 9449 §6, §7).
//
// An access token is DPoP-bound when its claims carry the confirmation claim "cnf" (RFC 7800
// §3.1) with a "jkt" member: the RFC 7638 SHA-256 thumbprint of the client's DPoP key (RFC
// 9449 §6.1). The resource then applies two rules:
//
//   - Authorization: DPoP <token> (RFC 9449 §7.1): the request must carry one valid proof
//     (Verifier.Verify with Request.AccessToken = the token, so "ath" is checked), the proof
//     must not be a replay (ReplaySet.Seen), and the token must be bound to the proof's key:
//     CheckDPoP(cnf, &proof). A token without "cnf"."jkt" presented this way is refused
//     (ErrNotBound).
//   - Authorization: Bearer <token> (RFC 6750): a DPoP-bound token must be refused, or a
//     stolen token could be replayed without the key by downgrading the scheme (RFC 9449
//     §7.2): CheckBearer(cnf) gives ErrDowngrade when "cnf"."jkt" is present.
//
// cnf is the JSON text of the verified token's "cnf" claim as Cnf extracts it from
// jwtlite.Claims (JSON jwtlite has checked: no duplicates, nothing after the object), nil
// when the token has none. Only "jkt" is judged; other confirmation
// methods (RFC 8705 "x5t#S256", RFC 7800 "jwk") are left to checks of their own. A "cnf" that
// is not an object, or a "jkt" that is not 43 base64url characters, is ErrConfirmation for
// both schemes (fail closed).

// notObject stands for a "cnf" claim that is present but not a JSON object.
var notObject = []byte("!")

// Cnf returns the JSON text of the "cnf" claim of verified claims c when it is an object, nil
// when it is absent, and a text that CheckBearer and CheckDPoP refuse as malformed when it
// is of another type (null included). It aliases c's payload and does not allocate.
func Cnf(c *jwtlite.Claims) []byte {
	var cnf []byte
	_ = jsonparser.ObjectEach(c.Raw(), func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		if string(key) == "cnf" {
			if vt == jsonparser.Object {
				cnf = v
			} else {
				cnf = notObject
			}
		}
		return nil
	})
	return cnf
}

// confirmation reads "jkt" from cnf (see the rules above) without allocating.
func confirmation(cnf []byte) (jkt [ThumbprintLen]byte, bound bool, err error) {
	if cnf == nil {
		return jkt, false, nil
	}
	bad := false
	perr := jsonparser.ObjectEach(cnf, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		if string(key) != "jkt" {
			return nil
		}
		if bound { // a second "jkt" (only raw texts not checked by jwtlite can have one)
			bad = true
			return nil
		}
		bound = true
		if vt != jsonparser.String {
			bad = true
			return nil
		}
		if len(v) > 6*ThumbprintLen { // each character escaped as \uXXXX at most
			bad = true
			return nil
		}
		u := v
		if hasBackslash(v) { // rare: base64url needs no escape; the buffer escapes only here
			buf := make([]byte, len(v))
			var uerr error
			if u, uerr = jsonparser.Unescape(v, buf); uerr != nil {
				bad = true
				return nil
			}
		}
		if len(u) != ThumbprintLen || !allBase64URL(u) {
			bad = true
			return nil
		}
		copy(jkt[:], u)
		return nil
	})
	if perr != nil || bad {
		return jkt, false, ErrConfirmation
	}
	return jkt, bound, nil
}

// ParseConfirmation returns the "jkt" of cnf (the JSON text of a "cnf" claim, nil when
// absent): bound is false when the token is not DPoP-bound; ErrConfirmation when cnf is not a
// UTF-8 JSON object without duplicate members, or "jkt" not 43 base64url characters (RFC 7800
// §3.1, RFC 9449 §6.1). Unlike CheckBearer and CheckDPoP, which take cnf from verified claims
// (Cnf) whose JSON jwtlite has checked, it checks the JSON text itself.
func ParseConfirmation(cnf []byte) (jkt string, bound bool, err error) {
	if cnf != nil && jwtlite.CheckJSONObject(cnf) != nil {
		return "", false, ErrConfirmation
	}
	j, bound, err := confirmation(cnf)
	if err != nil || !bound {
		return "", false, err
	}
	return string(j[:]), true, nil
}

// CheckBearer applies the downgrade rule of RFC 9449 §7.2 to a token presented with the Bearer
// scheme: ErrDowngrade when cnf holds "jkt", ErrConfirmation when cnf is malformed, nil
// otherwise. It does not allocate.
func CheckBearer(cnf []byte) error {
	_, bound, err := confirmation(cnf)
	switch {
	case err != nil:
		return err
	case bound:
		return ErrDowngrade
	}
	return nil
}

// CheckDPoP checks that a token presented with the DPoP scheme is bound to the key of its
// verified proof p (RFC 9449 §4.3 step 12, §6.1, §7.1): ErrConfirmation when cnf is
// malformed, ErrNotBound when it has no "jkt", ErrKeyMismatch when "jkt" is not p.JKT
// (compared in constant time). It does not allocate.
func CheckDPoP(cnf []byte, p *Proof) error {
	jkt, bound, err := confirmation(cnf)
	switch {
	case err != nil:
		return err
	case !bound:
		return ErrNotBound
	}
	return compareJKT(jkt[:], p.JKT)
}

// CheckBinding compares an already extracted "cnf"."jkt" with the proof's thumbprint in
// constant time: ErrNotBound when cnfJKT is empty (the token is not DPoP-bound),
// ErrKeyMismatch when they differ (RFC 9449 §4.3 step 12, §6.1).
func CheckBinding(cnfJKT string, p Proof) error {
	if cnfJKT == "" {
		return ErrNotBound
	}
	var ours [ThumbprintLen]byte
	if len(cnfJKT) != ThumbprintLen {
		return ErrKeyMismatch
	}
	copy(ours[:], cnfJKT)
	return compareJKT(ours[:], p.JKT)
}

// compareJKT compares two thumbprints in constant time (their length is public).
func compareJKT(jkt []byte, proofJKT string) error {
	var theirs [ThumbprintLen]byte
	if len(proofJKT) != ThumbprintLen || len(jkt) != ThumbprintLen {
		return ErrKeyMismatch
	}
	copy(theirs[:], proofJKT)
	if subtle.ConstantTimeCompare(jkt, theirs[:]) != 1 {
		return ErrKeyMismatch
	}
	return nil
}
