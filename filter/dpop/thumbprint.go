package dpop

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/internal/lex"
	"github.com/audguard/audguard/jwtlite"
)

// ThumbprintLen is the length of a SHA-256 JWK thumbprint in base64url: 43 characters.
const ThumbprintLen = 43

// Thumbprint returns the RFC 7638 JWK thumbprint of a public JWK with SHA-256, base64url
// without padding (RFC 7638 §3; the "jkt" of RFC 9449 §6.1). jwk is the JSON text of one JWK
// object. The hash input is the required members only, in lexicographic order, without
// white space (RFC 7638 §3.2, §3.3): "crv", "kty", "x", "y" for EC; "crv", "kty", "x" for
// OKP (RFC 8037 §2); "e", "kty", "n" for RSA. Other members ("kid", "alg", …) do not count.
//
// Strict: the text must be a UTF-8 JSON object without duplicate members (ErrMalformed); the
// required members must be strings, x, y, n and e non-empty base64url, crv printable ASCII
// that needs no JSON escape (so the hash input is unambiguous, RFC 7638 §3.3); any other kty,
// "oct" included, is refused (ErrKeyUnusable). The key itself is not validated: Verify
// computes the thumbprint of a key jwtlite has accepted.
func Thumbprint(jwk []byte) (string, error) {
	if jwtlite.CheckJSONObject(jwk) != nil {
		return "", ErrMalformed
	}
	var t thumbprinter
	sum, err := t.sum(jwk)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// thumbprinter holds the buffers of one thumbprint computation, reused by a Verifier.
type thumbprinter struct {
	kty, crv, x, y, n, e []byte
	in                   []byte
}

// member ids for the required members.
const (
	mKty = iota
	mCrv
	mX
	mY
	mN
	mE
	mCount
)

// sum computes the SHA-256 of the RFC 7638 hash input of jwk, a JSON object already checked
// for syntax and duplicates.
func (t *thumbprinter) sum(jwk []byte) ([32]byte, error) {
	var (
		vals [mCount][]byte
		has  [mCount]bool
		bad  bool
	)
	bufs := [mCount]*[]byte{&t.kty, &t.crv, &t.x, &t.y, &t.n, &t.e}
	err := jsonparser.ObjectEach(jwk, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		id := -1
		switch string(key) {
		case "kty":
			id = mKty
		case "crv":
			id = mCrv
		case "x":
			id = mX
		case "y":
			id = mY
		case "n":
			id = mN
		case "e":
			id = mE
		}
		if id < 0 {
			return nil
		}
		if vt != jsonparser.String {
			bad = true
			return nil
		}
		u, err := unescapeInto(v, bufs[id])
		if err != nil {
			bad = true
			return nil
		}
		vals[id], has[id] = u, true
		return nil
	})
	if err != nil || bad || !has[mKty] {
		return [32]byte{}, ErrKeyUnusable
	}
	b64 := func(ids ...int) bool {
		for _, id := range ids {
			if !has[id] || !allBase64URL(vals[id]) {
				return false
			}
		}
		return true
	}
	in := t.in[:0]
	switch string(vals[mKty]) {
	case "EC":
		if !b64(mX, mY) || !plainCurve(vals[mCrv], has[mCrv]) {
			return [32]byte{}, ErrKeyUnusable
		}
		in = appendMember(append(in, '{'), "crv", vals[mCrv])
		in = appendMember(append(in, ','), "kty", vals[mKty])
		in = appendMember(append(in, ','), "x", vals[mX])
		in = appendMember(append(in, ','), "y", vals[mY])
	case "OKP":
		if !b64(mX) || !plainCurve(vals[mCrv], has[mCrv]) {
			return [32]byte{}, ErrKeyUnusable
		}
		in = appendMember(append(in, '{'), "crv", vals[mCrv])
		in = appendMember(append(in, ','), "kty", vals[mKty])
		in = appendMember(append(in, ','), "x", vals[mX])
	case "RSA":
		if !b64(mN, mE) {
			return [32]byte{}, ErrKeyUnusable
		}
		in = appendMember(append(in, '{'), "e", vals[mE])
		in = appendMember(append(in, ','), "kty", vals[mKty])
		in = appendMember(append(in, ','), "n", vals[mN])
	default:
		return [32]byte{}, ErrKeyUnusable
	}
	in = append(in, '}')
	t.in = in
	return sha256.Sum256(in), nil
}

// plainCurve reports whether crv is present and 1*(VCHAR except '"' and '\'): written into the
// hash input as is, it needs no escape.
func plainCurve(crv []byte, has bool) bool {
	if !has || len(crv) == 0 {
		return false
	}
	for _, c := range crv {
		if !lex.Is(c, lex.VChar) || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// appendMember appends `"name":"v"`. Not inlined: its ten call sites would
// each carry a copy of the appends.
//
//go:noinline
func appendMember(dst []byte, name string, v []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':', '"')
	dst = append(dst, v...)
	return append(dst, '"')
}

// unescapeInto unescapes a JSON string's contents (without quotes) into *buf's storage; a
// string without escapes is returned as is.
func unescapeInto(v []byte, buf *[]byte) ([]byte, error) {
	if !hasBackslash(v) {
		return v, nil
	}
	if cap(*buf) < len(v) {
		*buf = make([]byte, len(v))
	}
	u, err := jsonparser.Unescape(v, (*buf)[:len(v)])
	if err != nil {
		return nil, err
	}
	return u, nil
}

// allBase64URL reports whether v is non-empty and all base64url (RFC 4648 §5), without the
// string conversion lex.All needs (which allocates past 32 bytes).
func allBase64URL(v []byte) bool {
	for _, c := range v {
		if !lex.Is(c, lex.Base64URL) {
			return false
		}
	}
	return len(v) > 0
}

func hasBackslash(v []byte) bool {
	for _, c := range v {
		if c == '\\' {
			return true
		}
	}
	return false
}
