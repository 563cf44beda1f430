package jwtlite

import (
	"bytes"

	"github.com/buger/jsonparser"
)

// span locates a top-level member's value in Claims.raw: for strings the contents between the
// quotes (still escaped), otherwise the whole JSON value. vt is NotExist when absent.
type span struct {
	start, end int
	vt         jsonparser.ValueType
}

// Claims gives access to the JWT claims set (RFC 7519 §4, RFC 9068 §2.2) in the decoded payload.
// Accessors never allocate for reasonable sizes; slices they hand out are valid until the next
// call on the same Claims (or until the Parser is reused).
type Claims struct {
	raw                                 []byte
	iss, exp, nbf, iat, aud, scope, scp span
	times                               times  // exp, nbf and iat parsed once, at load
	issuer                              []byte // unescaped iss (aliases raw or issBuf)
	issBuf                              []byte // retained across reuse
	scratch                             []byte // unescaping scratch, retained across reuse
}

// reset points c at raw and forgets every precomputed member, keeping scratch capacity.
func (c *Claims) reset(raw []byte) {
	*c = Claims{raw: raw, issBuf: c.issBuf[:0], scratch: c.scratch[:0]}
}

// load indexes the top-level members of raw, which jc has just checked without error.
func (c *Claims) load(raw []byte, jc *jsonChecker) error {
	c.reset(raw)
	for i := range jc.members() {
		var sp *span
		switch string(jc.memberName(i)) {
		case "iss":
			sp = &c.iss
		case "exp":
			sp = &c.exp
		case "nbf":
			sp = &c.nbf
		case "iat":
			sp = &c.iat
		case "aud":
			sp = &c.aud
		case "scope":
			sp = &c.scope
		case "scp":
			sp = &c.scp
		default:
			continue
		}
		*sp = jc.memberValue(i)
	}
	c.times = c.parseTimes()
	if c.iss.vt == jsonparser.String {
		iss, err := unescape(c.bytes(c.iss), &c.issBuf)
		if err != nil {
			return ErrMalformed
		}
		c.issuer = iss
	}
	return nil
}

func (c *Claims) bytes(s span) []byte { return c.raw[s.start:s.end] }

// Raw returns the decoded payload JSON (valid until the Parser is reused).
func (c *Claims) Raw() []byte { return c.raw }

// Issuer returns the unescaped "iss" claim (RFC 7519 §4.1.1); ok is false when it is absent,
// null or not a string.
func (c *Claims) Issuer() (iss []byte, ok bool) {
	if c.iss.vt != jsonparser.String {
		return nil, false
	}
	return c.issuer, true
}

// IssuerPresent reports whether "iss" is present and not null (of any type).
func (c *Claims) IssuerPresent() bool {
	return c.iss.vt != jsonparser.NotExist && c.iss.vt != jsonparser.Null
}

// Has reports whether the top-level claim name is present and not null.
func (c *Claims) Has(name string) bool {
	_, vt := c.lookup(name)
	return vt != jsonparser.NotExist && vt != jsonparser.Null
}

// lookup finds a top-level member by its unescaped name.
func (c *Claims) lookup(name string) ([]byte, jsonparser.ValueType) {
	if len(c.raw) == 0 {
		return nil, jsonparser.NotExist
	}
	var (
		val []byte
		typ = jsonparser.NotExist
	)
	_ = jsonparser.ObjectEach(c.raw, func(key, value []byte, vt jsonparser.ValueType, _ int) error {
		if string(key) == name {
			val, typ = value, vt
			return errStop
		}
		return nil
	})
	return val, typ
}

// EachAudience calls fn with each unescaped "aud" value (RFC 7519 §4.1.3): the string, or each
// element of an array of strings, stopping when fn returns false. "aud" absent, null, an empty
// array, or an array with any non-string element gives ErrWrongAudience and fn is not called
// (the whole value is checked first). The slice passed to fn is valid only during the call.
func (c *Claims) EachAudience(fn func(aud []byte) bool) error {
	switch c.aud.vt {
	case jsonparser.String:
		v, err := unescape(c.bytes(c.aud), &c.scratch)
		if err != nil {
			return ErrWrongAudience
		}
		fn(v)
		return nil
	case jsonparser.Array:
		if n, ok := c.stringArray(c.aud); !ok || n == 0 {
			return ErrWrongAudience
		}
		c.eachString(c.aud, fn)
		return nil
	}
	return ErrWrongAudience
}

// stringArray reports the length of the array at s and whether every element is a string
// with valid escapes.
func (c *Claims) stringArray(s span) (int, bool) {
	n, ok := 0, true
	_, err := jsonparser.ArrayEach(c.bytes(s), func(v []byte, vt jsonparser.ValueType, _ int, _ error) {
		n++
		if vt != jsonparser.String {
			ok = false
		}
	})
	return n, ok && err == nil
}

// eachString calls fn with each unescaped element of the string array at s until fn returns false.
func (c *Claims) eachString(s span, fn func([]byte) bool) {
	stop := false
	_, _ = jsonparser.ArrayEach(c.bytes(s), func(v []byte, _ jsonparser.ValueType, _ int, _ error) {
		if stop {
			return
		}
		u, err := unescape(v, &c.scratch)
		if err != nil || !fn(u) {
			stop = true
		}
	})
}

// EachScope calls fn with each granted scope (RFC 9068 §2.2.3, RFC 8693 §4.2): the "scope"
// claim (space-separated string) if the member is present at all, else "scp" (a
// space-separated string or an array of strings). Wrong types grant nothing; empty tokens
// between spaces are skipped. Stops when fn returns false.
func (c *Claims) EachScope(fn func(scope []byte) bool) {
	s := c.scope
	if s.vt == jsonparser.NotExist {
		s = c.scp
	}
	switch s.vt {
	case jsonparser.String:
		v, err := unescape(c.bytes(s), &c.scratch)
		if err != nil {
			return
		}
		eachField(v, fn)
	case jsonparser.Array:
		if c.scope.vt != jsonparser.NotExist {
			return // "scope" is a string by definition
		}
		if _, ok := c.stringArray(s); !ok {
			return
		}
		c.eachString(s, func(v []byte) bool {
			if len(v) == 0 {
				return true
			}
			return fn(v)
		})
	}
}

// eachField calls fn with each non-empty space-separated field of v.
func eachField(v []byte, fn func([]byte) bool) {
	for len(v) > 0 {
		var f []byte
		if i := bytes.IndexByte(v, ' '); i >= 0 {
			f, v = v[:i], v[i+1:]
		} else {
			f, v = v, nil
		}
		if len(f) > 0 && !fn(f) {
			return
		}
	}
}

// HeaderValue appends the value of claim name, as docs/request-flow.md#13-upstream-headers renders it for a request
// header, to dst: a string unescaped; a non-empty array of strings joined by one space; a
// number, true or false as its JSON text. Anything else (absent, null, object, empty or mixed
// array) gives false and dst unchanged. Percent-encoding is the caller's job.
func (c *Claims) HeaderValue(name string, dst []byte) ([]byte, bool) {
	v, vt := c.lookup(name)
	switch vt {
	case jsonparser.String:
		u, err := unescape(v, &c.scratch)
		if err != nil {
			return dst, false
		}
		return append(dst, u...), true
	case jsonparser.Number, jsonparser.Boolean:
		return append(dst, v...), true
	case jsonparser.Array:
		n, ok := 0, true
		_, err := jsonparser.ArrayEach(v, func(e []byte, et jsonparser.ValueType, _ int, _ error) {
			n++
			if et != jsonparser.String {
				ok = false
			}
		})
		if !ok || err != nil || n == 0 {
			return dst, false
		}
		orig := len(dst)
		first := true
		_, _ = jsonparser.ArrayEach(v, func(e []byte, _ jsonparser.ValueType, _ int, _ error) {
			if !ok {
				return
			}
			u, err := unescape(e, &c.scratch)
			if err != nil {
				ok = false
				return
			}
			if !first {
				dst = append(dst, ' ')
			}
			first = false
			dst = append(dst, u...)
		})
		if !ok {
			return dst[:orig], false
		}
		return dst, true
	}
	return dst, false
}

// Clone returns a deep copy that owns its bytes (for caches).
func (c *Claims) Clone() Claims {
	d := *c
	d.raw = bytes.Clone(c.raw)
	d.issBuf, d.scratch = nil, nil
	d.issuer = nil
	if c.iss.vt == jsonparser.String {
		d.issuer = bytes.Clone(c.issuer)
	}
	return d
}

// ParseClaims checks raw as a JWT claims set — a UTF-8 JSON object without duplicate members
// (RFC 7519 §4, §7.2) — and returns Claims owning a copy of it. It verifies nothing: it is for
// claims whose token was verified earlier (a cache shared between VMs), never for a token.
func ParseClaims(raw []byte) (Claims, error) {
	var jc jsonChecker
	if err := jc.checkObject(raw); err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := c.load(bytes.Clone(raw), &jc); err != nil {
		return Claims{}, err
	}
	return c.Clone(), nil
}
