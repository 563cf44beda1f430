// Package jsonrpc reads, from the body of an MCP request, what an
// authorizing proxy needs and nothing more: the JSON-RPC 2.0 messages it
// holds and, for each, whether it is a request, a notification or a
// response, its method, its id, and the target the MCP operation names
// (params.name of tools/call and prompts/get, params.uri of resources/read).
//
// MCP sends one JSON-RPC message per HTTP POST (MCP 2026-07-28,
// basic/transports/streamable-http, "Sending Messages to the Server"); the
// 2025-03-26 transport also allowed a JSON array of messages (a JSON-RPC 2.0
// batch, §6), which 2025-06-18 removed. Both are read here.
//
// The reading is strict, because the proxy and the MCP server behind it must
// not see two different operations in one body (RFC 8259 §4 leaves duplicate
// names to the implementation; Go's encoding/json matches member names
// case-insensitively, Unicode simple folding included):
//
//   - the whole body is UTF-8 and JSON (RFC 8259), nested at most MaxDepth;
//   - no member of a message or of its params that the proxy reads appears
//     twice, or in another case: ASCII, Unicode simple folding as
//     encoding/json does ("paramſ", U+017F), and the case mappings of
//     decoders that compare upper or lower case ("ıd", U+0131, and "İd",
//     U+0130, which do not fold to "id");
//   - "jsonrpc" is "2.0"; "method" a string; "id" a string or a number,
//     not null (MCP: "the ID MUST NOT be null"; the Go SDK reads a request
//     with a null id as a notification); "params" an object or an array;
//   - a message is a request or notification (method) or a response (id and
//     exactly one of result and error), never both;
//   - tools/call, prompts/get and resources/read name a non-empty target.
//
// Anything else is an error matching one of the Err values (errors.Is). A
// Parser reuses its memory: after warm-up Parse allocates nothing, and its
// time is linear in the body.
package jsonrpc

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Limits.
const (
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 64
	// MaxBatch is the most messages a batch may hold.
	MaxBatch = 100
)

// The errors of Parse; each returned error matches exactly one (errors.Is).
var (
	ErrUTF8         = errors.New("the body is not valid UTF-8")
	ErrSyntax       = errors.New("the body is not valid JSON")
	ErrDepth        = errors.New("the body nests objects and arrays too deep")
	ErrDuplicate    = errors.New("a JSON-RPC member appears twice")
	ErrCaseVariant  = errors.New("a member name differs from a JSON-RPC member only in case")
	ErrVersion      = errors.New(`a message lacks "jsonrpc": "2.0"`)
	ErrNotMessage   = errors.New("not a JSON-RPC request, notification or response")
	ErrEmptyBatch   = errors.New("the batch is empty")
	ErrBatchTooLong = errors.New("the batch holds more than 100 messages")
	ErrNestedBatch  = errors.New("a batch element is not a message object")
	ErrTarget       = errors.New("the method needs a target (params.name or params.uri) that is a non-empty string")
)

// Kind is what a message is.
type Kind uint8

const (
	// Request has a method and an id.
	Request Kind = iota + 1
	// Notification has a method and no id.
	Notification
	// Response has an id and a result or an error: a client's answer to a
	// server's request.
	Response
)

func (k Kind) String() string {
	switch k {
	case Request:
		return "request"
	case Notification:
		return "notification"
	case Response:
		return "response"
	}
	return "unknown"
}

// Message is one JSON-RPC message as the proxy reads it. Its strings alias
// the body or the Parser's memory: valid until the next Parse.
type Message struct {
	_    [0]func() // not comparable: no generated equality function in the module
	Kind Kind
	// Method is the unescaped method; "" for a response.
	Method string
	// Target is the unescaped params.name (tools/call, prompts/get) or
	// params.uri (resources/read); "" for every other method.
	Target string
	// ID is the id's JSON text as sent ("" when absent): a number, or a
	// string with its quotes. It can be echoed into a JSON-RPC error.
	ID string
}

// Body is a parsed request body.
type Body struct {
	// Batch: the body was a JSON array of messages.
	Batch bool
	// Messages, in order: one unless Batch.
	Messages []Message
}

// TargetMember is the params member that names the target of method:
// "name" for tools/call and prompts/get, "uri" for resources/read, else ""
// (MCP 2026-07-28, basic/transports/streamable-http, "Standard Request
// Headers": the value Mcp-Name mirrors).
func TargetMember(method string) string {
	switch method {
	case "tools/call", "prompts/get":
		return "name"
	case "resources/read":
		return "uri"
	}
	return ""
}

// Parser parses bodies. The zero value is ready; not safe for concurrent use.
type Parser struct {
	msgs    []Message
	scratch []byte // unescaped strings of the current body
	b       []byte
	i       int
}

// Parse reads body. On error the Body is empty.
func (p *Parser) Parse(body []byte) (Body, error) {
	p.msgs = p.msgs[:0]
	p.scratch = p.scratch[:0]
	p.b, p.i = body, 0
	defer func() { p.b = nil }()
	if !utf8.Valid(body) {
		return Body{}, ErrUTF8
	}
	p.space()
	if p.i >= len(p.b) {
		return Body{}, ErrSyntax
	}
	var out Body
	switch p.b[p.i] {
	case '{':
		m, err := p.message(1)
		if err != nil {
			return Body{}, err
		}
		p.msgs = append(p.msgs, m)
	case '[':
		out.Batch = true
		p.i++
		p.space()
		if p.peek(']') {
			p.i++
			if err := p.end(); err != nil {
				return Body{}, err
			}
			return Body{}, ErrEmptyBatch
		}
		for {
			p.space()
			if p.i >= len(p.b) {
				return Body{}, ErrSyntax
			}
			if p.b[p.i] != '{' {
				// Validate first: a syntax error is reported as such.
				if err := p.value(1); err != nil {
					return Body{}, err
				}
				return Body{}, ErrNestedBatch
			}
			if len(p.msgs) == MaxBatch {
				return Body{}, ErrBatchTooLong
			}
			m, err := p.message(2)
			if err != nil {
				return Body{}, err
			}
			p.msgs = append(p.msgs, m)
			p.space()
			if p.peek(',') {
				p.i++
				continue
			}
			if p.peek(']') {
				p.i++
				break
			}
			return Body{}, ErrSyntax
		}
	default:
		if err := p.value(0); err != nil {
			return Body{}, err
		}
		if err := p.end(); err != nil {
			return Body{}, err
		}
		return Body{}, ErrNotMessage
	}
	if err := p.end(); err != nil {
		return Body{}, err
	}
	out.Messages = p.msgs
	return out, nil
}

// end checks that only white space follows.
func (p *Parser) end() error {
	p.space()
	if p.i != len(p.b) {
		return ErrSyntax
	}
	return nil
}

// The members of a message the proxy reads, as bits (MessageMember).
const (
	MemberJSONRPC = 1 << iota
	MemberID
	MemberMethod
	MemberParams
	MemberResult
	MemberError
)

var messageMembers = [...]string{"jsonrpc", "id", "method", "params", "result", "error"}

// MessageMember reads a message's member name: bit is the member's bit when
// name is one of them exactly, variant its bit when name is a case variant
// of one (FoldEqual: a reader that folds would take it for that member); 0
// and 0 for any other name.
func MessageMember(name string) (bit, variant int) {
	for k, w := range messageMembers {
		if name == w {
			return 1 << k, 0
		}
		if foldEqual(name, w) {
			return 0, 1 << k
		}
	}
	return 0, 0
}

// message reads one message object at p.i (a '{'), which opens depth (1
// alone, 2 in a batch).
func (p *Parser) message(depth int) (Message, error) {
	var (
		m                    Message
		seen                 int
		version, method, id  span
		params               paramSpans
		methodStr, versionOK bool
		paramsObj            bool
	)
	p.i++ // '{'
	p.space()
	if p.peek('}') {
		p.i++
		return m, ErrNotMessage
	}
	for {
		name, err := p.name()
		if err != nil {
			return m, err
		}
		bit, variant := MessageMember(name)
		if variant != 0 {
			return m, ErrCaseVariant
		}
		if bit != 0 && seen&bit != 0 {
			return m, ErrDuplicate
		}
		seen |= bit
		p.space()
		start := p.i
		switch bit {
		case MemberMethod, MemberJSONRPC:
			if p.peek('"') {
				s, err := p.str()
				if err != nil {
					return m, err
				}
				if bit == MemberMethod {
					method, methodStr = s, true
				} else {
					version, versionOK = s, true
				}
				break
			}
			if err := p.value(depth); err != nil {
				return m, err
			}
		case MemberParams:
			if p.peek('{') {
				params, err = p.params(depth + 1)
				if err != nil {
					return m, err
				}
				paramsObj = true
				break
			}
			if !p.peek('[') {
				if err := p.value(depth); err != nil {
					return m, err
				}
				return m, ErrNotMessage // JSON-RPC 2.0 §4.2: params is a structured value
			}
			if err := p.value(depth); err != nil {
				return m, err
			}
		case MemberID:
			if p.i < len(p.b) && (p.b[p.i] == '{' || p.b[p.i] == '[' || p.b[p.i] == 't' || p.b[p.i] == 'f' || p.b[p.i] == 'n') {
				if err := p.value(depth); err != nil {
					return m, err
				}
				// JSON-RPC 2.0 §4: a string, a number or null; MCP
				// (basic, "Requests"): not null. The Go SDK reads a
				// request with a null id as a notification and refuses
				// a response with one.
				return m, ErrNotMessage
			}
			if err := p.value(depth); err != nil {
				return m, err
			}
			id = span{start, p.i, false}
		default:
			if err := p.value(depth); err != nil {
				return m, err
			}
		}
		p.space()
		if p.peek(',') {
			p.i++
			p.space()
			continue
		}
		if p.peek('}') {
			p.i++
			break
		}
		return m, ErrSyntax
	}
	if !versionOK || p.text(version) != "2.0" {
		return m, ErrVersion
	}
	if seen&MemberID != 0 {
		m.ID = unsafe.String(unsafe.SliceData(p.b[id.start:]), id.end-id.start)
	}
	switch {
	case seen&MemberMethod != 0:
		if !methodStr || seen&(MemberResult|MemberError) != 0 {
			return m, ErrNotMessage
		}
		m.Kind = Notification
		if seen&MemberID != 0 {
			m.Kind = Request
		}
		m.Method = p.text(method)
		switch TargetMember(m.Method) {
		case "name":
			m.Target = p.text(params.name)
		case "uri":
			m.Target = p.text(params.uri)
		default:
			return m, nil
		}
		if !paramsObj || m.Target == "" {
			return m, ErrTarget
		}
	case seen&MemberID != 0 && (seen&MemberResult != 0) != (seen&MemberError != 0):
		m.Kind = Response
	default:
		return m, ErrNotMessage
	}
	return m, nil
}

// span is a string's contents in the body (without quotes); escaped when it
// holds a backslash escape.
type span struct {
	start, end int
	escaped    bool
}

// paramSpans are the targets found in a params object; an absent or
// non-string member has no span (empty text).
type paramSpans struct {
	name, uri span
}

// params reads a params object at p.i, which opens depth, noting name and
// uri.
func (p *Parser) params(depth int) (paramSpans, error) {
	var ps paramSpans
	var seenName, seenURI bool
	p.i++ // '{'
	p.space()
	if p.peek('}') {
		p.i++
		return ps, nil
	}
	for {
		name, err := p.name()
		if err != nil {
			return ps, err
		}
		var target *span
		var seen *bool
		switch {
		case name == "name":
			target, seen = &ps.name, &seenName
		case name == "uri":
			target, seen = &ps.uri, &seenURI
		case foldEqual(name, "name") || foldEqual(name, "uri"):
			return ps, ErrCaseVariant
		}
		if seen != nil {
			if *seen {
				return ps, ErrDuplicate
			}
			*seen = true
		}
		p.space()
		if target != nil && p.peek('"') {
			if *target, err = p.str(); err != nil {
				return ps, err
			}
		} else if err := p.value(depth); err != nil {
			return ps, err
		}
		p.space()
		if p.peek(',') {
			p.i++
			p.space()
			continue
		}
		if p.peek('}') {
			p.i++
			return ps, nil
		}
		return ps, ErrSyntax
	}
}

// foldEqual reports whether name is w, a lower-case ASCII word, but for the
// case of its letters: ASCII case, and the four runes that a decoder maps to
// an ASCII letter, by Unicode simple folding (strings.EqualFold,
// encoding/json: ſ U+017F to s, K U+212A to k) or by case mapping (the
// upper case of ı U+0131 is I, the lower case of İ U+0130 is i). No other
// rune folds or maps to an ASCII letter (TestFoldRune).
func foldEqual(name, w string) bool {
	i := 0
	for j := 0; j < len(w); j++ {
		if i >= len(name) {
			return false
		}
		c := name[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			i++
		} else {
			r, n := utf8.DecodeRuneInString(name[i:])
			i += n
			if c = foldRune(r); c == 0 {
				return false
			}
		}
		if c != w[j] {
			return false
		}
	}
	return i == len(name)
}

// foldRune is the lower-case ASCII letter a non-ASCII rune folds or maps
// to, or 0.
func foldRune(r rune) byte {
	switch r {
	case '\u017F':
		return 's'
	case '\u212A':
		return 'k'
	case '\u0130', '\u0131':
		return 'i'
	}
	return 0
}

// name reads a member name and its colon, returning the unescaped name.
func (p *Parser) name() (string, error) {
	if !p.peek('"') {
		return "", ErrSyntax
	}
	s, err := p.str()
	if err != nil {
		return "", err
	}
	p.space()
	if !p.peek(':') {
		return "", ErrSyntax
	}
	p.i++
	return p.text(s), nil
}

// text is the unescaped contents of s. Escaped strings are unescaped into
// the scratch buffer (their escapes were validated by str).
func (p *Parser) text(s span) string {
	raw := p.b[s.start:s.end]
	if !s.escaped {
		return unsafe.String(unsafe.SliceData(raw), len(raw))
	}
	if len(raw) == 0 {
		return ""
	}
	at := len(p.scratch)
	p.scratch = unescapeTo(p.scratch, raw)
	out := p.scratch[at:]
	return unsafe.String(unsafe.SliceData(out), len(out))
}

func (p *Parser) peek(c byte) bool { return p.i < len(p.b) && p.b[p.i] == c }

func (p *Parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value validates one JSON value at p.i, nested at depth (its container's),
// and moves past it.
func (p *Parser) value(depth int) error {
	p.space()
	if p.i >= len(p.b) {
		return ErrSyntax
	}
	if c := p.b[p.i]; c == '{' || c == '[' {
		return p.container(depth + 1)
	}
	return p.scalar()
}

// container validates the object or array at p.i, which opens depth, with
// an explicit stack of open containers (no recursion per level).
func (p *Parser) container(depth int) error {
	if depth > MaxDepth {
		return ErrDepth
	}
	var stack [MaxDepth + 1]byte // '}' or ']' expected per open container
	n := 0
	base := depth - 1
	for {
		// At p.i: the opening of a container.
		if base+n+1 > MaxDepth {
			return ErrDepth
		}
		open := p.b[p.i]
		p.i++
		p.space()
		if open == '{' {
			stack[n] = '}'
		} else {
			stack[n] = ']'
		}
		n++
		if p.peek(stack[n-1]) { // empty
			p.i++
			goto closed
		}
	member:
		if stack[n-1] == '}' {
			if !p.peek('"') {
				return ErrSyntax
			}
			if _, err := p.str(); err != nil {
				return err
			}
			p.space()
			if !p.peek(':') {
				return ErrSyntax
			}
			p.i++
			p.space()
		}
		if p.i >= len(p.b) {
			return ErrSyntax
		}
		if c := p.b[p.i]; c == '{' || c == '[' {
			continue // open the nested container
		}
		if err := p.scalar(); err != nil {
			return err
		}
	next:
		p.space()
		if p.peek(',') {
			p.i++
			p.space()
			goto member
		}
		if !p.peek(stack[n-1]) {
			return ErrSyntax
		}
		p.i++
	closed:
		n--
		if n == 0 {
			return nil
		}
		goto next
	}
}

// scalar validates a string, number or literal at p.i.
func (p *Parser) scalar() error {
	switch c := p.b[p.i]; {
	case c == '"':
		_, err := p.str()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return ErrSyntax
}

func (p *Parser) literal(w string) error {
	if len(p.b)-p.i < len(w) || string(p.b[p.i:p.i+len(w)]) != w {
		return ErrSyntax
	}
	p.i += len(w)
	return nil
}

// number validates a number (RFC 8259 §6) at p.i.
func (p *Parser) number() error {
	b, i := p.b, p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return ErrSyntax
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == j {
			return ErrSyntax
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == j {
			return ErrSyntax
		}
	}
	p.i = i
	return nil
}

// str reads a string at p.i (a '"'), validating its escapes, and returns its
// contents. Control characters are refused (RFC 8259 §7); \u escapes must
// not leave a lone surrogate, which decoders replace differently.
func (p *Parser) str() (span, error) {
	b := p.b
	i := p.i + 1
	s := span{start: i}
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s.end = i
			p.i = i + 1
			return s, nil
		case c < 0x20:
			return s, ErrSyntax
		case c == '\\':
			s.escaped = true
			if i+1 >= len(b) {
				return s, ErrSyntax
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := hex4(b, i+2)
				if !ok {
					return s, ErrSyntax
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || i+1 >= len(b) || b[i] != '\\' || b[i+1] != 'u' {
						return s, ErrSyntax
					}
					r2, ok := hex4(b, i+2)
					if !ok || utf16.DecodeRune(r, r2) == utf8.RuneError {
						return s, ErrSyntax
					}
					i += 6
				}
			default:
				return s, ErrSyntax
			}
		default:
			i++
		}
	}
	return s, ErrSyntax
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescapeTo appends the unescaped form of a validated string's contents.
func unescapeTo(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(s, i+2)
			if utf16.IsSurrogate(r) {
				r2, _ := hex4(s, i+8)
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}
