package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jnode is a JSON value with the byte offsets it was read from. The CLI uses
// it to point at a JSON path's line and column, to read the names the plugin
// configuration binds (for the proxy-configuration checks), and to edit a
// refused configuration so that one run reports every refusal (loadAll).
// Member order and repeated members are kept.
type jnode struct {
	kind byte // '{', '[', '"' (string), '0' (number), 'b' (true/false), 'n' (null)
	off  int  // offset of the value's first byte
	raw  string
	str  string // decoded string (kind '"')

	keys    []string
	keyOffs []int
	vals    []*jnode
	elems   []*jnode
}

// jsonError is a syntax error at a byte offset.
type jsonError struct {
	off int
	msg string
}

func (e *jsonError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

// parseJSON reads exactly one JSON value (surrounded by white space only).
func parseJSON(b []byte) (*jnode, error) {
	p := &jparser{b: b}
	p.ws()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(b) {
		return nil, &jsonError{p.i, "trailing data after the JSON value"}
	}
	return n, nil
}

type jparser struct {
	b []byte
	i int
}

func (p *jparser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\r' || p.b[p.i] == '\n') {
		p.i++
	}
}

func (p *jparser) fail(msg string) error {
	if p.i >= len(p.b) {
		return &jsonError{len(bytes.TrimRight(p.b, " \t\r\n")), "unexpected end of input"}
	}
	return &jsonError{p.i, msg}
}

func (p *jparser) value(depth int) (*jnode, error) {
	if depth > 200 {
		return nil, p.fail("nested too deeply")
	}
	if p.i >= len(p.b) {
		return nil, p.fail("")
	}
	start := p.i
	switch c := p.b[p.i]; {
	case c == '{':
		n := &jnode{kind: '{', off: start}
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return nil, p.fail("expected a member name in double quotes")
			}
			koff := p.i
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, p.fail(`expected ":" after the member name`)
			}
			p.i++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.keys, n.keyOffs, n.vals = append(n.keys, k.str), append(n.keyOffs, koff), append(n.vals, v)
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				return n, nil
			}
			return nil, p.fail(`expected "," or "}" after an object member`)
		}
	case c == '[':
		n := &jnode{kind: '[', off: start}
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				return n, nil
			}
			return nil, p.fail(`expected "," or "]" after an array element`)
		}
	case c == '"':
		p.i++
		for p.i < len(p.b) && p.b[p.i] != '"' {
			if p.b[p.i] == '\\' {
				p.i++
			}
			p.i++
		}
		if p.i >= len(p.b) {
			return nil, p.fail("")
		}
		p.i++
		raw := p.b[start:p.i]
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, &jsonError{start, "invalid string"}
		}
		return &jnode{kind: '"', off: start, raw: string(raw), str: s}, nil
	default:
		for p.i < len(p.b) && strings.IndexByte(",]}: \t\r\n", p.b[p.i]) < 0 {
			p.i++
		}
		raw := string(p.b[start:p.i])
		switch {
		case raw == "true" || raw == "false":
			return &jnode{kind: 'b', off: start, raw: raw}, nil
		case raw == "null":
			return &jnode{kind: 'n', off: start, raw: raw}, nil
		case raw != "" && json.Valid([]byte(raw)):
			return &jnode{kind: '0', off: start, raw: raw}, nil
		}
		p.i = start
		return nil, p.fail("invalid value")
	}
}

// member returns the value of the last member named key, or nil.
func (n *jnode) member(key string) *jnode {
	if n == nil || n.kind != '{' {
		return nil
	}
	var v *jnode
	for i, k := range n.keys {
		if k == key {
			v = n.vals[i]
		}
	}
	return v
}

// del removes every member named key.
func (n *jnode) del(key string) {
	for i := 0; i < len(n.keys); i++ {
		if n.keys[i] == key {
			n.keys = append(n.keys[:i], n.keys[i+1:]...)
			n.keyOffs = append(n.keyOffs[:i], n.keyOffs[i+1:]...)
			n.vals = append(n.vals[:i], n.vals[i+1:]...)
			i--
		}
	}
}

// set replaces the members named key with one holding v (appended when absent).
func (n *jnode) set(key string, v *jnode) {
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys, n.keyOffs, n.vals = append(n.keys, key), append(n.keyOffs, 0), append(n.vals, v)
}

func jstring(s string) *jnode {
	b, _ := json.Marshal(s)
	return &jnode{kind: '"', raw: string(b), str: s}
}

// encode writes n as compact JSON.
func (n *jnode) encode(buf *bytes.Buffer) {
	switch n.kind {
	case '{':
		buf.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			n.vals[i].encode(buf)
		}
		buf.WriteByte('}')
	case '[':
		buf.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				buf.WriteByte(',')
			}
			e.encode(buf)
		}
		buf.WriteByte(']')
	default:
		buf.WriteString(n.raw)
	}
}

// pathSeg is one step of a JSON path: a member name or an array index.
type pathSeg struct {
	key   string
	index int // -1 for a member
}

// splitPath parses a JSON path as filter/config writes it: `issuers`,
// `issuers[0].jwks`, `resources[0].claim_headers["a b"]`, `$` or `$[1]`.
func splitPath(path string) ([]pathSeg, bool) {
	var segs []pathSeg
	s := strings.TrimPrefix(path, "$")
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return segs, false
			}
			if s[1] == '"' {
				q, err := strconv.QuotedPrefix(s[1:])
				if err != nil {
					return segs, false
				}
				k, _ := strconv.Unquote(q)
				segs = append(segs, pathSeg{key: k, index: -1})
				s = strings.TrimPrefix(s[1+len(q):], "]")
				continue
			}
			i, err := strconv.Atoi(s[1:end])
			if err != nil {
				return segs, false
			}
			segs = append(segs, pathSeg{index: i})
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			segs = append(segs, pathSeg{key: s[:end], index: -1})
			s = s[end:]
		}
	}
	return segs, true
}

// locate returns the offset of the deepest value on path that exists: the
// member name's offset for a member (the last one when repeated, so that a
// "duplicate member" refusal points at the repetition), the element's offset
// for an array element.
func (n *jnode) locate(path string) int {
	segs, _ := splitPath(path)
	off := n.off
	cur := n
	for _, sg := range segs {
		switch {
		case sg.index < 0 && cur.kind == '{':
			found := -1
			for i, k := range cur.keys {
				if k == sg.key {
					found = i
				}
			}
			if found < 0 {
				return off
			}
			off, cur = cur.keyOffs[found], cur.vals[found]
		case sg.index >= 0 && cur.kind == '[' && sg.index < len(cur.elems):
			cur = cur.elems[sg.index]
			off = cur.off
		default:
			return off
		}
	}
	return off
}

// lineCol is the 1-based line and column (in characters) of byte offset off in b.
func lineCol(b []byte, off int) (int, int) {
	if off > len(b) {
		off = len(b)
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	start := bytes.LastIndexByte(b[:off], '\n') + 1
	return line, 1 + len([]rune(string(b[start:off])))
}
