package jwtlite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"unicode/utf8"
)

// stdCheckObject is the reference the duplicate-member check is held to. It is built on the
// standard library alone: utf8.Valid, encoding/json.Valid, then encoding/json's Decoder.Token
// stream, which unescapes member names itself (a lone surrogate to U+FFFD), with one set of
// names per open object. It shares no code with jsonChecker, nor with buger/jsonparser, whose
// Unescape jsonChecker.addEscaped calls: a reference built on jsonparser.ObjectEach unescapes
// names with that same function, and one built on jsonChecker's own addEscaped, keys or
// sorts would agree with any mistake in them.
//
// It returns checkObject's errors in checkObject's order (errTooLong aside): errInvalidUTF8,
// errInvalidJSON, errNotObject, then the first of errTooDeep (a container opened inside
// maxJSONDepth open ones) and ErrDuplicateMember in document order. On success it returns the
// top-level member names, unescaped, in order.
func stdCheckObject(b []byte) (names []string, err error) {
	if !utf8.Valid(b) {
		return nil, errInvalidUTF8
	}
	if !json.Valid(b) {
		return nil, errInvalidJSON
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); t[0] != '{' { // valid JSON: t is not empty
		return nil, errNotObject
	}
	type open struct {
		seen    map[string]bool // nil for an array
		wantKey bool            // in an object, the next token is a name or its '}'
	}
	var stack []open
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].seen != nil {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return names, nil
		}
		if err != nil { // json.Valid accepted b: never
			return nil, fmt.Errorf("reference: encoding/json.Decoder after json.Valid: %w", err)
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			name := tok.(string) // a member name, unescaped by encoding/json
			if stack[n-1].seen[name] {
				return nil, ErrDuplicateMember
			}
			stack[n-1].seen[name] = true
			stack[n-1].wantKey = false
			if n == 1 {
				names = append(names, name)
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxJSONDepth {
				return nil, errTooDeep
			}
			o := open{}
			if tok == json.Delim('{') {
				o = open{seen: map[string]bool{}, wantKey: true}
			}
			stack = append(stack, o)
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default: // a string, number, boolean or null value
			valueDone()
		}
	}
}

// sameAsStd checks got, what c.checkObject(b) returned, and c's top-level member names against
// stdCheckObject. Duplicates are found when their object closes or, when a container opens
// too deep, among the open objects' names read so far: the first error in document order, as
// the reference reads it.
func sameAsStd(t *testing.T, c *jsonChecker, got error, b []byte) {
	t.Helper()
	names, want := stdCheckObject(b)
	if got != want {
		t.Fatalf("radix=%v: %q: checkObject %v, encoding/json reference %v", c.radix, b, got, want)
	}
	if got != nil {
		return
	}
	if c.members() != len(names) {
		t.Fatalf("%q: %d members, encoding/json reference %d", b, c.members(), len(names))
	}
	for i, name := range names {
		if string(c.memberName(i)) != name {
			t.Fatalf("%q: member %d named %q, encoding/json reference %q", b, i, c.memberName(i), name)
		}
	}
}

// TestStdCheckObject holds the reference itself to hand-made verdicts, so that it cannot
// drift into agreeing with anything: each error, its order, and the names it reports.
func TestStdCheckObject(t *testing.T) {
	deep := func(n int, inner string) string {
		return `{"a":` + nested(n, "[", inner, "]") + `}`
	}
	tests := []struct {
		json  string
		err   error
		names []string
	}{
		{`{}`, nil, nil},
		{` {"a":1, "b":{"a":2}, "c":[{"a":3},{"a":4}]} `, nil, []string{"a", "b", "c"}},
		{`{"\u0061\/":1,"\ud83d\ude00":2,"\ud800":3}`, nil, []string{"a/", "😀", "\ufffd"}},
		{`{"a":1,"a":2}`, ErrDuplicateMember, nil},
		{`{"a":1,"\u0061":2}`, ErrDuplicateMember, nil},
		{`{"\ud800":1,"\ufffd":2}`, ErrDuplicateMember, nil},
		{`{"\ud800\u0041":1,"\ufffdA":2}`, ErrDuplicateMember, nil},
		{`{"\ud800\ud800":1,"\ufffd\ufffd":2}`, ErrDuplicateMember, nil},
		// A high surrogate followed by text, not by "\u": U+FFFD and the text, never a pair
		// made of the bytes after it (jsonparser's Unescape made one before DEFECT-260727-SNGT).
		{`{"\ud800abdc00":1,"\ud800\udc00":2}`, nil, []string{"\ufffdabdc00", "\U00010000"}},
		{`{"x":[{"b":1,"b":2}]}`, ErrDuplicateMember, nil},
		{`{"x":[{"b":1},{"b":2}],"b":3}`, nil, []string{"x", "b"}},
		{`{"k":{},"k":[]}`, ErrDuplicateMember, nil},
		{deep(31, `1`), nil, []string{"a"}},
		{deep(32, `1`), errTooDeep, nil},
		{`{"a":1,"a":2,"b":` + nested(40, "[", "", "]") + `}`, ErrDuplicateMember, nil},
		{`{"b":` + nested(40, "[", "", "]") + `,"a":1,"a":2}`, errTooDeep, nil},
		{`{"a":1,"a":2`, errInvalidJSON, nil},
		{`[{"a":1,"a":2}]`, errNotObject, nil},
		{`"a"`, errNotObject, nil},
		{"{\"a\":\"\xff\"}", errInvalidUTF8, nil},
	}
	for _, tt := range tests {
		names, err := stdCheckObject([]byte(tt.json))
		if err != tt.err || fmt.Sprintf("%q", names) != fmt.Sprintf("%q", tt.names) {
			t.Errorf("%s: %q %v, want %q %v", tt.json, names, err, tt.names, tt.err)
		}
	}
}
