package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// maxDepth bounds the nesting of the configuration document. The deepest
// legitimate value (a JWK member inside issuers[].jwks.keys[]) is at depth 5.
const maxDepth = 32

// kind is the JSON type of a node (RFC 8259 §3).
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

var kindNames = [...]string{
	kindNull:   "null",
	kindBool:   "a boolean",
	kindNumber: "a number",
	kindString: "a string",
	kindArray:  "an array",
	kindObject: "an object",
}

func (k kind) String() string { return kindNames[k] }

// node is one JSON value with its JSON path. Objects keep their members in
// document order; duplicate member names are refused while parsing.
type node struct {
	kind  kind
	path  string
	str   string  // string value (unescaped), or the number's literal text
	b     bool    // boolean value
	elems []*node // array elements
	keys  []string
	vals  []*node // object member values, parallel to keys
}

// member returns the value of the object member named key, or nil.
func (n *node) member(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// parseTree parses data as exactly one strict JSON value (RFC 8259): valid
// UTF-8, no duplicate object members (compared after unescaping, RFC 8259 §4
// leaves them undefined, so we refuse them), nothing but whitespace after the
// value. root is the JSON path given to the value itself.
func parseTree(data []byte, root string) (*node, error) {
	if !utf8.Valid(data) {
		return nil, refuse(root, "is not valid UTF-8", "encode the configuration as UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := treeParser{dec: dec}
	tok, err := dec.Token()
	if err != nil {
		return nil, p.syntax(root, err)
	}
	n, err := p.value(tok, root, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, refuse(root, "trailing data after the JSON value", "remove everything after the closing bracket")
	}
	return n, nil
}

type treeParser struct {
	dec *json.Decoder
}

func (p *treeParser) syntax(path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return refuseCause(path, "invalid JSON: unexpected end of input", "complete the JSON document", err)
	}
	return refuseCause(path, "invalid JSON: "+err.Error(), "fix the JSON syntax", err)
}

func (p *treeParser) value(tok json.Token, path string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, refuse(path, "nested too deeply", "the configuration never nests more than a few levels: check the brackets")
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kindNull, path: path}, nil
	case bool:
		return &node{kind: kindBool, path: path, b: t}, nil
	case json.Number:
		return &node{kind: kindNumber, path: path, str: string(t)}, nil
	case string:
		return &node{kind: kindString, path: path, str: t}, nil
	case json.Delim:
		switch t {
		case '{':
			return p.object(path, depth)
		case '[':
			return p.array(path, depth)
		}
	}
	return nil, refuse(path, "invalid JSON: unexpected token", "fix the JSON syntax")
}

func (p *treeParser) object(path string, depth int) (*node, error) {
	n := &node{kind: kindObject, path: path}
	seen := make(map[string]struct{})
	for p.dec.More() {
		kt, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(path, err)
		}
		key, ok := kt.(string)
		if !ok {
			return nil, refuse(path, "invalid JSON: object member name is not a string", "fix the JSON syntax")
		}
		mpath := memberPath(path, key)
		if _, dup := seen[key]; dup {
			return nil, refuse(mpath, "duplicate member", "keep exactly one member with this name")
		}
		seen[key] = struct{}{}
		vt, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(mpath, err)
		}
		v, err := p.value(vt, mpath, depth+1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.vals = append(n.vals, v)
	}
	if _, err := p.dec.Token(); err != nil { // the closing '}'
		return nil, p.syntax(path, err)
	}
	return n, nil
}

func (p *treeParser) array(path string, depth int) (*node, error) {
	n := &node{kind: kindArray, path: path}
	for p.dec.More() {
		epath := indexPath(path, len(n.elems))
		vt, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(epath, err)
		}
		v, err := p.value(vt, epath, depth+1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
	}
	if _, err := p.dec.Token(); err != nil { // the closing ']'
		return nil, p.syntax(path, err)
	}
	return n, nil
}

// memberPath is the JSON path of member key of the value at parent:
// `issuers`, `issuers[0].name`, or `resources[0].claim_headers["a b"]` for a
// name that is not a plain identifier.
func memberPath(parent, key string) string {
	if !isIdent(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "$" {
		return key
	}
	return parent + "." + key
}

// indexPath is the JSON path of element i of the array at parent.
func indexPath(parent string, i int) string {
	if parent == "$" {
		return "$[" + strconv.Itoa(i) + "]"
	}
	return parent + "[" + strconv.Itoa(i) + "]"
}

func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// encode appends n as compact JSON. Strings are re-escaped, numbers keep their
// literal text, member order is kept: the result means exactly what the input
// meant. Object members named in drop are left out.
func (n *node) encode(buf *bytes.Buffer, drop func(path []string, key string) bool, at []string) {
	switch n.kind {
	case kindNull:
		buf.WriteString("null")
	case kindBool:
		buf.WriteString(strconv.FormatBool(n.b))
	case kindNumber:
		buf.WriteString(n.str)
	case kindString:
		writeJSONString(buf, n.str)
	case kindArray:
		buf.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				buf.WriteByte(',')
			}
			e.encode(buf, drop, append(at, "[]"))
		}
		buf.WriteByte(']')
	case kindObject:
		buf.WriteByte('{')
		first := true
		for i, k := range n.keys {
			if drop != nil && drop(at, k) {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			writeJSONString(buf, k)
			buf.WriteByte(':')
			n.vals[i].encode(buf, drop, append(at, k))
		}
		buf.WriteByte('}')
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a Go string always marshals
	buf.Write(b)
}
