package jwtlite

import (
	"encoding/base64"
	"github.com/audguard/audguard/internal/lex"
	"strings"

	"github.com/buger/jsonparser"
)

// Header is the parsed JOSE header (RFC 7515 §4).
type Header struct {
	Alg    Algorithm // always a known implemented algorithm after a successful Parse
	Kid    []byte    // unescaped; nil when absent
	HasKid bool
	Typ    []byte // unescaped; nil when absent
	HasTyp bool
}

// Token is the result of parsing a compact JWS (RFC 7515 §7.1).
type Token struct {
	Header       Header
	Claims       Claims
	SigningInput []byte // ASCII(BASE64URL(header) '.' BASE64URL(payload)); aliases the Parser's copy of the token
	Signature    []byte // decoded
}

// Parser holds reusable buffers. Not safe for concurrent use. The zero value is ready.
type Parser struct {
	tok     []byte // copy of the token (SigningInput aliases it)
	header  []byte // decoded header
	payload []byte // decoded payload
	sig     []byte // decoded signature
	kid     []byte // unescaped kid
	typ     []byte // unescaped typ
	alg     []byte // unescaped alg
	json    jsonChecker
}

// strictB64 decodes base64url without padding and refuses non-zero padding bits (RFC 7515 §2).
var strictB64 = base64.RawURLEncoding.Strict()

// Parse splits and decodes a compact JWS carrying a JWT (RFC 7515 §7.1, RFC 7519 §7.2):
// exactly three parts; strict base64url (RFC 7515 §2: no padding, no stray characters, zero
// padding bits); header and claims UTF-8 JSON objects with no duplicate members after
// unescaping (ErrMalformed). Then the header (ErrUnsupportedAlgorithm): "alg" present, a string
// naming an algorithm we implement, never "none"; "crit" refused whenever present (RFC 7515
// §4.1.11: we understand no extension). "jku", "x5u", "jwk", "x5c" are ignored, never used.
// "kid" and "typ", when present, must be strings (ErrMalformed).
//
// t's slices alias the Parser's buffers: valid until the next Parse with the same Parser.
// Zero allocations once the buffers have grown.
func (p *Parser) Parse(token string, t *Token) error {
	return p.parse(token, t, true)
}

// parse implements Parse. With jwt false the payload is opaque (a plain JWS, as in the
// Wycheproof vectors) and t.Claims is left empty.
func (p *Parser) parse(token string, t *Token, jwt bool) error {
	t.Header = Header{}
	t.SigningInput, t.Signature = nil, nil
	t.Claims.reset(nil)

	h, rest, ok1 := strings.Cut(token, ".")
	pl, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 {
		return ErrMalformed
	}
	p.tok = append(p.tok[:0], token...)
	hb := p.tok[:len(h)]
	pb := p.tok[len(h)+1 : len(h)+1+len(pl)]
	sb := p.tok[len(h)+1+len(pl)+1:]

	var ok bool
	if p.header, ok = decodeB64(p.header, hb); !ok {
		return ErrMalformed
	}
	if p.payload, ok = decodeB64(p.payload, pb); !ok {
		return ErrMalformed
	}
	if p.sig, ok = decodeB64(p.sig, sb); !ok {
		return ErrMalformed
	}
	if p.json.checkObject(p.header) != nil {
		return ErrMalformed
	}
	// Read the header while p.json holds its members; a header error counts after the
	// payload's syntax (ErrMalformed first).
	herr := p.header2(&t.Header)
	if jwt {
		if p.json.checkObject(p.payload) != nil {
			return ErrMalformed
		}
		if err := t.Claims.load(p.payload, &p.json); err != nil {
			return err
		}
	}
	if herr != nil {
		return herr
	}
	t.SigningInput = p.tok[:len(h)+1+len(pl)]
	t.Signature = p.sig
	return nil
}

// decodeB64 decodes src (strict unpadded base64url) into dst's storage.
func decodeB64(dst, src []byte) ([]byte, bool) {
	// The base64 package skips CR and LF even in strict mode; refuse every byte outside the
	// base64url alphabet (RFC 4648 §5) ourselves, one table load per byte.
	for _, c := range src {
		if !lex.Is(c, lex.Base64URL) {
			return dst, false
		}
	}
	n := strictB64.DecodedLen(len(src))
	if cap(dst) < n {
		dst = make([]byte, n, n+n/2)
	}
	dst = dst[:n]
	m, err := strictB64.Decode(dst, src)
	if err != nil {
		return dst[:0], false
	}
	return dst[:m], true
}

// header2 reads the header members (RFC 7515 §4.1) into h, from p.json right after it
// checked p.header.
func (p *Parser) header2(h *Header) error {
	var (
		alg           []byte
		algType       = jsonparser.NotExist
		crit, badType bool
	)
	for i := range p.json.members() {
		key := p.json.memberName(i)
		switch string(key) {
		case "alg":
			sp := p.json.memberValue(i)
			alg, algType = p.header[sp.start:sp.end], sp.vt
		case "crit":
			crit = true
		case "kid":
			sp := p.json.memberValue(i)
			if sp.vt != jsonparser.String {
				badType = true
				continue
			}
			v, err := unescape(p.header[sp.start:sp.end], &p.kid)
			if err != nil {
				return ErrMalformed
			}
			h.Kid, h.HasKid = v, true
		case "typ":
			sp := p.json.memberValue(i)
			if sp.vt != jsonparser.String {
				badType = true
				continue
			}
			v, err := unescape(p.header[sp.start:sp.end], &p.typ)
			if err != nil {
				return ErrMalformed
			}
			h.Typ, h.HasTyp = v, true
		}
	}
	if badType {
		return ErrMalformed
	}
	if algType != jsonparser.String || crit {
		return ErrUnsupportedAlgorithm
	}
	a, err := unescape(alg, &p.alg)
	if err != nil {
		return ErrMalformed
	}
	if h.Alg, _ = parseAlgorithmBytes(a); h.Alg == "" {
		return ErrUnsupportedAlgorithm
	}
	return nil
}

// IsATJWT reports whether typ is "at+jwt" or "application/at+jwt", compared ASCII
// case-insensitively (RFC 9068 §4, RFC 7515 §4.1.9).
func IsATJWT(typ []byte) bool {
	return lex.EqualFold(typ, "at+jwt") || lex.EqualFold(typ, "application/at+jwt")
}
