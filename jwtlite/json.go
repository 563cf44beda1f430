package jwtlite

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/buger/jsonparser"
)

// maxJSONDepth bounds the nesting of objects and arrays in a header, claims set or JWK Set.
// Real tokens nest a few levels; the bound keeps the duplicate check's recursion small.
const maxJSONDepth = 32

var (
	errDuplicateMember = errors.New("duplicate member")
	errNotObject       = errors.New("not a JSON object")
	errInvalidJSON     = errors.New("invalid JSON")
	errInvalidUTF8     = errors.New("invalid UTF-8")
	errTooDeep         = errors.New("JSON nested too deeply")
	errStop            = errors.New("stop") // ends an iteration early; never returned to callers
)

// jsonChecker validates JSON texts (RFC 8259) with reusable scratch space: valid UTF-8
// (RFC 8259 §8.1), valid JSON, a top-level object, and no duplicate member names in any
// object after unescaping (RFC 7515 §4, RFC 7519 §4: duplicates must be rejected or resolved;
// we reject). The zero value is ready.
type jsonChecker struct {
	names []byte // unescaped member names of the objects being walked, concatenated
	ends  []int  // end offset in names of each recorded name
}

// checkObject returns nil when b is a UTF-8 JSON object without duplicate members.
func (c *jsonChecker) checkObject(b []byte) error {
	if !utf8.Valid(b) {
		return errInvalidUTF8
	}
	if !json.Valid(b) {
		return errInvalidJSON
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errNotObject
	}
	c.names, c.ends = c.names[:0], c.ends[:0]
	return c.object(b, 0)
}

// object checks one object value (and, recursively, the values inside it).
func (c *jsonChecker) object(b []byte, depth int) error {
	if depth >= maxJSONDepth {
		return errTooDeep
	}
	base := len(c.ends)
	err := jsonparser.ObjectEach(b, func(key, value []byte, vt jsonparser.ValueType, _ int) error {
		if c.seen(base, key) {
			return errDuplicateMember
		}
		c.names = append(c.names, key...)
		c.ends = append(c.ends, len(c.names))
		return c.value(value, vt, depth+1)
	})
	// Forget this object's names; the enclosing object's names stay.
	if base > 0 {
		c.names = c.names[:c.ends[base-1]]
	} else {
		c.names = c.names[:0]
	}
	c.ends = c.ends[:base]
	if err != nil {
		if err == errDuplicateMember || err == errTooDeep {
			return err
		}
		return errInvalidJSON
	}
	return nil
}

// value recurses into objects and arrays.
func (c *jsonChecker) value(v []byte, vt jsonparser.ValueType, depth int) error {
	switch vt {
	case jsonparser.Object:
		return c.object(v, depth)
	case jsonparser.Array:
		if depth >= maxJSONDepth {
			return errTooDeep
		}
		var inner error
		_, err := jsonparser.ArrayEach(v, func(e []byte, et jsonparser.ValueType, _ int, _ error) {
			if inner == nil {
				inner = c.value(e, et, depth+1)
			}
		})
		if inner != nil {
			return inner
		}
		if err != nil {
			return errInvalidJSON
		}
	}
	return nil
}

// seen reports whether key equals a name recorded since index base.
func (c *jsonChecker) seen(base int, key []byte) bool {
	start := 0
	if base > 0 {
		start = c.ends[base-1]
	}
	for i := base; i < len(c.ends); i++ {
		if string(c.names[start:c.ends[i]]) == string(key) {
			return true
		}
		start = c.ends[i]
	}
	return false
}

// unescape returns the unescaped form of the JSON string contents s (without quotes), using
// and growing *scratch when s holds escapes; the result is valid until *scratch is reused.
func unescape(s []byte, scratch *[]byte) ([]byte, error) {
	if bytes.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	if cap(*scratch) < len(s) {
		*scratch = make([]byte, len(s)*2)
	}
	out, err := jsonparser.Unescape(s, (*scratch)[:cap(*scratch)])
	if err != nil {
		return nil, err
	}
	return out, nil
}
