package config

import (
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/audguard/audguard/internal/jsonw"
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
	kindRoot // the parent of a document's value: holds the value's JSON path in str
)

var kindNames = [...]string{
	kindNull:   "null",
	kindBool:   "a boolean",
	kindNumber: "a number",
	kindString: "a string",
	kindArray:  "an array",
	kindObject: "an object",
	kindRoot:   "a document",
}

func (k kind) String() string { return kindNames[k] }

// node is one JSON value. Objects keep their members in document order;
// duplicate member names are refused while parsing. A node knows its parent
// and its position there, so its JSON path is built only when a message
// needs it (path).
type node struct {
	kind   kind
	b      bool    // boolean value
	index  int32   // position in the parent array or object
	str    string  // string value (unescaped), or the number's literal text
	elems  []*node // array elements, or object member values (parallel to keys)
	keys   []string
	parent *node // the enclosing array or object, or the kindRoot holding the document's path
}

// member returns the value of the object member named key, or nil.
func (n *node) member(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.elems[i]
		}
	}
	return nil
}

// path is n's JSON path: `issuers[0].name`, `$` for the document, or the
// root given to parseTree for a document held in a string.
func (n *node) path() string {
	p := n.parent
	switch {
	case p == nil:
		return "$"
	case p.kind == kindRoot:
		return p.str
	case p.kind == kindObject:
		return memberPath(p.path(), p.keys[n.index])
	}
	return indexPath(p.path(), int(n.index))
}

// parseTree parses data as exactly one strict JSON value (RFC 8259): valid
// UTF-8, no duplicate object members (compared after unescaping, RFC 8259 §4
// leaves them undefined, so we refuse them), nothing but whitespace after the
// value. root is the JSON path given to the value itself.
//
// Syntax errors are worded as encoding/json's Decoder.Token words them
// ("invalid JSON: invalid character 'x' after object key", "invalid JSON:
// unexpected end of input") and name the JSON path Token-by-Token reading
// reached: the value being read, or the array or object around it.
// Strings are unescaped as encoding/json unescapes them: an escaped lone
// UTF-16 surrogate becomes U+FFFD.
func parseTree(data []byte, root string) (*node, error) {
	return parseTreeString(string(data), root)
}

// parseTreeString is parseTree on a string, whose strings the tree shares.
func parseTreeString(data string, root string) (*node, error) {
	if !utf8.ValidString(data) {
		return nil, refuse(root, "is not valid UTF-8", "encode the configuration as UTF-8")
	}
	p := treeParser{s: data, root: root}
	top := &node{kind: kindRoot, str: root}
	p.ws()
	n, err := p.value(top, 0, 0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i < len(p.s) {
		return nil, refuse(root, "trailing data after the JSON value", "remove everything after the closing bracket")
	}
	return n, nil
}

// treeParser reads one document. Strings without escapes are substrings of
// s, one copy of the document (so a loaded Plugin keeps that copy, instead
// of a copy of each string it holds); nodes and the slices of arrays and
// objects are carved from blocks, so a large document costs a few
// allocations per thousand values.
type treeParser struct {
	s    string
	i    int
	root string

	// at is the JSON path of the value being read, one step per level below
	// the root, for error messages: member names, or array indices.
	at []step

	nodes []node   // block nodes are carved from
	ptrs  []*node  // block elems are carved from
	strs  []string // block keys are carved from
	kids  []*node  // pending elements or member values of the open arrays and objects
	names []string // pending member names of the open objects
}

type step struct {
	_     [0]func() // not comparable: no generated equality function in the module
	key   string
	index int
	obj   bool
}

// pathAt is the JSON path of the value d levels below the root.
func (p *treeParser) pathAt(d int) string {
	s := p.root
	for _, st := range p.at[:d] {
		if st.obj {
			s = memberPath(s, st.key)
		} else {
			s = indexPath(s, st.index)
		}
	}
	return s
}

//go:noinline
func (p *treeParser) here() string { return p.pathAt(len(p.at)) }

//go:noinline
func (p *treeParser) newNode(k kind, parent *node, index int) *node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]node, 0, 256)
	}
	p.nodes = p.nodes[:len(p.nodes)+1]
	n := &p.nodes[len(p.nodes)-1]
	n.kind, n.parent, n.index = k, parent, int32(index)
	return n
}

// carve copies src into *block and returns the copy, with its capacity
// ending at its length (an append copies instead of overwriting the next
// slice carved); nil when src is empty. A full block is replaced by a new
// one of at least least elements.
func carve[T any](block *[]T, src []T, least int) []T {
	if len(src) == 0 {
		return nil
	}
	if cap(*block)-len(*block) < len(src) {
		*block = make([]T, 0, max(least, len(src)))
	}
	start := len(*block)
	*block = append(*block, src...)
	return (*block)[start:len(*block):len(*block)]
}

//go:noinline
func (p *treeParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// syntaxError refuses at path with encoding/json's wording.
func syntaxError(path, msg string) error {
	return refuse(path, "invalid JSON: "+msg, "fix the JSON syntax")
}

func endOfInput(path string) error {
	return refuseCause(path, "invalid JSON: unexpected end of input", "complete the JSON document", io.ErrUnexpectedEOF)
}

// invalidChar is encoding/json's "invalid character 'c'" plus context.
func invalidChar(path string, c byte, context string) error {
	return syntaxError(path, "invalid character "+quoteChar(c)+context)
}

// quoteChar formats c as encoding/json's messages do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// value reads the value at p.i (white space skipped) as element or member
// index of parent, depth levels below the root.
func (p *treeParser) value(parent *node, index, depth int) (*node, error) {
	if p.i >= len(p.s) {
		return nil, endOfInput(p.here())
	}
	var n *node
	switch c := p.s[p.i]; c {
	case '{', '[':
		p.i++
		if depth > maxDepth {
			return nil, p.tooDeep()
		}
		if c == '{' {
			n = p.newNode(kindObject, parent, index)
			return n, p.object(n, depth)
		}
		n = p.newNode(kindArray, parent, index)
		return n, p.array(n, depth)
	case '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n = p.newNode(kindString, parent, index)
		n.str = s
	case 't', 'f', 'n':
		k, b, err := p.literal()
		if err != nil {
			return nil, err
		}
		n = p.newNode(k, parent, index)
		n.b = b
	default:
		if c != '-' && (c < '0' || c > '9') {
			return nil, invalidChar(p.here(), c, " looking for beginning of value")
		}
		s, err := p.number()
		if err != nil {
			return nil, err
		}
		n = p.newNode(kindNumber, parent, index)
		n.str = s
	}
	if depth > maxDepth {
		return nil, p.tooDeep()
	}
	return n, nil
}

func (p *treeParser) tooDeep() error {
	return refuse(p.here(), "nested too deeply", "the configuration never nests more than a few levels: check the brackets")
}

// object reads the members of n, after its '{'.
func (p *treeParser) object(n *node, depth int) error {
	objPath := len(p.at)
	kidsStart, namesStart := len(p.kids), len(p.names) // after an error, nothing reads them again
	var seen map[string]struct{}                       // member names, once there are many
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return nil
	}
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.s) {
			return endOfInput(p.pathAt(objPath))
		}
		if c := p.s[p.i]; c != '"' {
			if first {
				return invalidChar(p.pathAt(objPath), c, "")
			}
			return invalidChar(p.pathAt(objPath), c, " looking for beginning of object key string")
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		names := p.names[namesStart:]
		switch {
		case seen != nil:
		case len(names) < 16:
			for _, k := range names {
				if k == key {
					return refuse(memberPath(p.pathAt(objPath), key), "duplicate member", "keep exactly one member with this name")
				}
			}
		default:
			seen = make(map[string]struct{}, 2*len(names))
			for _, k := range names {
				seen[k] = struct{}{}
			}
		}
		if seen != nil {
			if _, dup := seen[key]; dup {
				return refuse(memberPath(p.pathAt(objPath), key), "duplicate member", "keep exactly one member with this name")
			}
			seen[key] = struct{}{}
		}
		p.at = append(p.at, step{key: key, obj: true})
		p.ws()
		if p.i >= len(p.s) {
			return endOfInput(p.here())
		}
		if c := p.s[p.i]; c != ':' {
			return invalidChar(p.here(), c, " after object key")
		}
		p.i++
		p.ws()
		v, err := p.value(n, len(names), depth+1)
		if err != nil {
			return err
		}
		p.at = p.at[:objPath]
		p.names = append(p.names, key)
		p.kids = append(p.kids, v)
		p.ws()
		if p.i >= len(p.s) {
			return endOfInput(p.pathAt(objPath))
		}
		c := p.s[p.i]
		if c == '}' {
			p.i++
			break
		}
		if c != ',' {
			return invalidChar(p.pathAt(objPath), c, " after object key:value pair")
		}
		p.i++
	}
	n.keys = carve(&p.strs, p.names[namesStart:], 512)
	n.elems = carve(&p.ptrs, p.kids[kidsStart:], 1024)
	p.kids, p.names = p.kids[:kidsStart], p.names[:namesStart]
	return nil
}

// array reads the elements of n, after its '['.
func (p *treeParser) array(n *node, depth int) error {
	arrPath := len(p.at)
	kidsStart := len(p.kids)
	p.ws()
	if p.i >= len(p.s) {
		return endOfInput(p.pathAt(arrPath))
	}
	switch p.s[p.i] {
	case ']':
		p.i++
		return nil
	case '}':
		return invalidChar(p.pathAt(arrPath), '}', " looking for beginning of value")
	}
	for i := 0; ; i++ {
		p.at = append(p.at, step{index: i})
		v, err := p.value(n, i, depth+1)
		if err != nil {
			return err
		}
		p.at = p.at[:arrPath]
		p.kids = append(p.kids, v)
		p.ws()
		if p.i >= len(p.s) {
			return endOfInput(p.pathAt(arrPath))
		}
		c := p.s[p.i]
		if c == ']' {
			p.i++
			break
		}
		if c == '}' {
			return invalidChar(p.pathAt(arrPath), c, " after array element")
		}
		if c != ',' {
			return invalidChar(indexPath(p.pathAt(arrPath), i+1), c, " after array element")
		}
		p.i++
		p.ws()
	}
	n.elems = carve(&p.ptrs, p.kids[kidsStart:], 1024)
	p.kids = p.kids[:kidsStart]
	return nil
}

// literal reads true, false or null.
func (p *treeParser) literal() (kind, bool, error) {
	var word string
	var k kind
	switch p.s[p.i] {
	case 't':
		word, k = "true", kindBool
	case 'f':
		word, k = "false", kindBool
	default:
		word, k = "null", kindNull
	}
	for j := 1; j < len(word); j++ {
		if p.i+j >= len(p.s) {
			return 0, false, endOfInput(p.here())
		}
		if c := p.s[p.i+j]; c != word[j] {
			return 0, false, invalidChar(p.here(), c, " in literal "+word+" (expecting "+quoteChar(word[j])+")")
		}
	}
	p.i += len(word)
	return k, word == "true", nil
}

// number reads a number (RFC 8259 §6) and returns its literal text. It stops
// at the first byte that cannot continue it; what follows is judged by the
// caller.
func (p *treeParser) number() (string, error) {
	s, start := p.s, p.i
	i := start
	need := func(ok func(byte) bool, context string) error {
		if i >= len(s) {
			return endOfInput(p.here())
		}
		if !ok(s[i]) {
			return invalidChar(p.here(), s[i], context)
		}
		return nil
	}
	digits := func() {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if s[i] == '-' {
		i++
		if err := need(isDigit, " in numeric literal"); err != nil {
			return "", err
		}
	}
	if s[i] == '0' {
		i++
	} else {
		digits()
	}
	if i < len(s) && s[i] == '.' {
		i++
		if err := need(isDigit, " after decimal point in numeric literal"); err != nil {
			return "", err
		}
		digits()
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if err := need(func(c byte) bool { return isDigit(c) || c == '+' || c == '-' }, " in exponent of numeric literal"); err != nil {
			return "", err
		}
		if s[i] == '+' || s[i] == '-' {
			i++
			if err := need(isDigit, " in exponent of numeric literal"); err != nil {
				return "", err
			}
		}
		digits()
	}
	p.i = i
	return s[start:i], nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// str reads a string at p.i (its opening quote) and returns it unescaped.
func (p *treeParser) str() (string, error) {
	s := p.s
	start := p.i + 1
	i := start
	for ; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			p.i = i + 1
			return s[start:i], nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", invalidChar(p.here(), c, " in string literal")
		}
	}
	if i >= len(s) {
		return "", endOfInput(p.here())
	}
	// Escapes: check the rest, then unescape.
	for j := i; ; j++ {
		if j >= len(s) {
			return "", endOfInput(p.here())
		}
		c := s[j]
		if c == '"' {
			out := unescape(s[start:j])
			p.i = j + 1
			return out, nil
		}
		if c < 0x20 {
			return "", invalidChar(p.here(), c, " in string literal")
		}
		if c != '\\' {
			continue
		}
		j++
		if j >= len(s) {
			return "", endOfInput(p.here())
		}
		switch s[j] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			for k := 0; k < 4; k++ {
				j++
				if j >= len(s) {
					return "", endOfInput(p.here())
				}
				if unhex(s[j]) < 0 {
					return "", invalidChar(p.here(), s[j], ` in \u hexadecimal character escape`)
				}
			}
		default:
			return "", invalidChar(p.here(), s[j], " in string escape code")
		}
	}
}

func unhex(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// u4 decodes `\uXXXX` at the start of s, or returns -1.
func u4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		h := unhex(c)
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

// unescape decodes the body of a checked string literal as encoding/json
// does: a UTF-16 surrogate pair is one character, a lone surrogate U+FFFD.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := u4(s[i:])
			i += 6
			if utf16.IsSurrogate(r) {
				if d := utf16.DecodeRune(r, u4(s[i:])); d != utf8.RuneError {
					i += 6
					b = utf8.AppendRune(b, d)
					continue
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // '"', '\\', '/'
			b = append(b, s[i+1])
		}
		i += 2
	}
	return string(b)
}

// memberPath is the JSON path of member key of the value at parent:
// `issuers`, `issuers[0].name`, or `resources[0].claim_headers["a b"]` for a
// name that is not a plain identifier.
func memberPath(parent, key string) string {
	if !isIdent(key) {
		return parent + "[" + quote(key) + "]"
	}
	if parent == "$" {
		return key
	}
	return parent + "." + key
}

// indexPath is the JSON path of element i of the array at parent.
func indexPath(parent string, i int) string {
	if parent == "$" {
		return "$[" + itoa(i) + "]"
	}
	return parent + "[" + itoa(i) + "]"
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
func (n *node) encode(buf []byte, drop func(path []string, key string) bool, at []string) []byte {
	switch n.kind {
	case kindNull:
		buf = append(buf, "null"...)
	case kindBool:
		buf = jsonw.Bool(buf, n.b)
	case kindNumber:
		buf = append(buf, n.str...)
	case kindString:
		buf = jsonw.String(buf, n.str)
	case kindArray:
		buf = append(buf, '[')
		for i, e := range n.elems {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = e.encode(buf, drop, append(at, "[]"))
		}
		buf = append(buf, ']')
	case kindObject:
		buf = append(buf, '{')
		first := true
		for i, k := range n.keys {
			if drop != nil && drop(at, k) {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = jsonw.String(buf, k)
			buf = append(buf, ':')
			buf = n.elems[i].encode(buf, drop, append(at, k))
		}
		buf = append(buf, '}')
	}
	return buf
}
