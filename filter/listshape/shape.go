// Package listshape removes, from the answer of an MCP server to a list
// request, the entries the caller's token may not use: a token sees what it
// may use.
//
// MCP lets a server tailor its lists to the client: "the list MAY vary by
// the authorization presented" (MCP 2026-07-28, server/tools.mdx). An
// authorizing proxy in front of a server that does not do so itself can:
// for every entry of a list it asks the caller whether the token may
// perform the operation that entry offers, and cuts the entry out of the
// response when it may not. Authorization of the operations themselves
// does not depend on this: a tool the list hides is still refused when it
// is called. Shaping only keeps a client (and the model behind it) from
// being offered what will be refused.
//
// # The API
//
// Per VM, one Shaper and one StreamShaper; per list response (the request's
// method gave the Kind, its id the JSON text id):
//
//	kind, ok := listshape.KindOf(msg.Method)                // a list request
//	keep := func(target string) bool { … rules.For(kind.Method(), target) … }
//	// application/json:
//	out, removed, err := shaper.Shape(body, kind, msg.ID, keep, buf[:0])
//	// err != nil: send body unchanged, count list_unshaped
//	// text/event-stream:
//	stream.Reset(kind, msg.ID, keep, maxHeld)
//	out, done := stream.Feed(chunk)                         // per chunk; send out
//	out = stream.Flush()                                    // at the end of the stream
//	removed, err := stream.Result()
//
// # What is judged
//
// Each Kind of list names the JSON-RPC result member holding the entries,
// the entry member that names the target, and the operation the entry is
// judged as (Kind.Method): the caller answers keep(target) with
// mcp.Rules.For(kind.Method(), target) and the token's scopes.
//
//	tools/list                 result.tools              "name"         tools/call
//	prompts/list               result.prompts            "name"         prompts/get
//	resources/list             result.resources          "uri"          resources/read
//	resources/templates/list   result.resourceTemplates  "uriTemplate"  resources/read
//
// A resource template (RFC 6570) is judged as resources/read of the template
// text itself. Rules compare names byte for byte, with no URI or template
// matching, so a rule naming one concrete URI never decides a template: the
// method-wide resources/read rule (or required_scopes) does, unless an
// operation names the template text exactly. A token that may read
// resources in general sees the templates; each resources/read it then
// makes is judged by its own URI.
//
// An entry whose target cannot be judged is removed: an entry that is not
// an object; whose target member is missing, not a string, empty, present
// twice, or present in a case variant (the same rule filter/jsonrpc applies
// to requests: ASCII case, ſ, K, ı, İ); a client could read such an entry
// as naming a target other than the one judged.
//
// # What is kept
//
// Everything but the removed entries is kept byte for byte: the order of the
// entries, nextCursor, _meta, unknown members, white space, the spelling of
// numbers (1e2, -0, 1.0) and the escapes of kept entries. Each removed entry
// takes one separating comma with it: the comma before it when an entry
// before it is kept, else the comma after it (so removing every entry of
// [a, b] leaves [ ]). White space around removed entries stays.
//
// # When nothing is shaped
//
// Shape refuses (returns the body itself, with an error) a body that is not
// valid UTF-8 JSON nested at most jsonrpc.MaxDepth, that is not one
// JSON-RPC response object (a batch, a request or notification, no
// "jsonrpc": "2.0", not exactly one of result and error), that answers
// another id, that is an error response, whose result is not an object
// holding the list array, or in which a member on the path to the list
// (jsonrpc, id, method, params, result, error, then the list member of
// result) appears twice or in a case variant. The caller passes such a
// body on unchanged and counts it (list_unshaped): the proxy never makes an
// error of its own out of a server's answer. This is fail open for the view
// (the token sees the whole list) but not for access: each operation is
// still authorized when it is requested.
//
// The id is compared as JSON text, exactly: the request's id as sent (the
// text jsonrpc.Message.ID holds) against the response's, normalising
// nothing. A server that echoes 1 as 1.0, or "a" as "\u0061", answers
// another id for this package, and its list is passed unshaped.
//
// # Streams
//
// A server may answer a POST with an SSE stream (text/event-stream, MCP
// 2026-07-28, basic/transports/streamable-http, "Sending Messages to the
// Server") whose events carry notifications and requests before the
// response. StreamShaper shapes the event that carries the response and
// passes every other byte on as it arrives.
//
// Neither type imports the proxy-wasm SDK; after warm-up neither allocates.
package listshape

import (
	"errors"

	"github.com/audguard/audguard/filter/jsonrpc"
)

// Kind is a kind of MCP list.
type Kind uint8

// The kinds of list.
const (
	// Tools is tools/list: result.tools, judged by "name" as tools/call.
	Tools Kind = iota + 1
	// Prompts is prompts/list: result.prompts, judged by "name" as
	// prompts/get.
	Prompts
	// Resources is resources/list: result.resources, judged by "uri" as
	// resources/read.
	Resources
	// ResourceTemplates is resources/templates/list:
	// result.resourceTemplates, judged by "uriTemplate" as resources/read
	// of the template text (see the package documentation).
	ResourceTemplates
)

type kindInfo struct {
	list, method        string // the list method, the operation an entry offers
	member, memberLower string // the result member holding the entries
	key, keyLower       string // the entry member naming the target
}

var kinds = [...]kindInfo{
	Tools:             {"tools/list", "tools/call", "tools", "tools", "name", "name"},
	Prompts:           {"prompts/list", "prompts/get", "prompts", "prompts", "name", "name"},
	Resources:         {"resources/list", "resources/read", "resources", "resources", "uri", "uri"},
	ResourceTemplates: {"resources/templates/list", "resources/read", "resourceTemplates", "resourcetemplates", "uriTemplate", "uritemplate"},
}

func (k Kind) info() *kindInfo {
	if k >= Tools && int(k) < len(kinds) {
		return &kinds[k]
	}
	return nil
}

// KindOf is the Kind of a list request's method, case-sensitive: false for
// any other method.
func KindOf(method string) (Kind, bool) {
	for k := Tools; int(k) < len(kinds); k++ {
		if kinds[k].list == method {
			return k, true
		}
	}
	return 0, false
}

// String is the list method, such as "tools/list"; "unknown" for an
// invalid Kind.
func (k Kind) String() string {
	if in := k.info(); in != nil {
		return in.list
	}
	return "unknown"
}

// Method is the operation an entry of the list offers, by which it is
// judged: tools/call, prompts/get or resources/read; "" for an invalid
// Kind.
func (k Kind) Method() string {
	if in := k.info(); in != nil {
		return in.method
	}
	return ""
}

// Member is the result member that holds the entries: "tools", "prompts",
// "resources" or "resourceTemplates".
func (k Kind) Member() string {
	if in := k.info(); in != nil {
		return in.member
	}
	return ""
}

// Key is the entry member that names the target: "name", "uri" or
// "uriTemplate".
func (k Kind) Key() string {
	if in := k.info(); in != nil {
		return in.key
	}
	return ""
}

// The errors of Shape, and of StreamShaper.Result; each error returned
// matches exactly one (errors.Is). With any of them the body is passed on
// unchanged.
var (
	// ErrKind: the Kind is not one of the constants, or the id is empty
	// (a list request always has one).
	ErrKind = errors.New("listshape: unknown list kind or empty id")
	// ErrNotJSON: not UTF-8, not JSON, or nested deeper than
	// jsonrpc.MaxDepth.
	ErrNotJSON = errors.New("listshape: the body is not valid JSON")
	// ErrNotResponse: not one JSON-RPC 2.0 response object.
	ErrNotResponse = errors.New("listshape: the body is not one JSON-RPC response")
	// ErrOtherID: a response whose id is not the request's, as JSON text.
	ErrOtherID = errors.New("listshape: the response answers another id")
	// ErrErrorResponse: the response is an error.
	ErrErrorResponse = errors.New("listshape: the response is an error")
	// ErrNoList: the result is not an object holding the list array.
	ErrNoList = errors.New("listshape: the result holds no list array")
	// ErrDuplicate: a member on the path to the list appears twice or in a
	// case variant.
	ErrDuplicate = errors.New("listshape: a member on the path to the list appears twice or in a case variant")
	// ErrTooLarge (streams only): an event was longer than the limit and
	// was passed on unchanged; the response was not seen after it.
	ErrTooLarge = errors.New("listshape: an event exceeded the held-size limit")
	// ErrNoResponse (streams only): no event carried the response to the
	// id (yet).
	ErrNoResponse = errors.New("listshape: no event carried the response")
)

// cut is a range of bytes to remove, [start, end).
type cut struct{ start, end int }

// Shaper shapes list responses. The zero value is ready; it reuses its
// memory, so after warm-up Shape allocates nothing. Not safe for concurrent
// use.
type Shaper struct {
	sc   jsonrpc.Scanner
	cuts []cut
}

// Shape removes from body, an application/json response to the list
// request of this kind with this id (the request's id as JSON text, see
// the package documentation), every entry whose target keep refuses, and
// every entry that cannot be judged. keep is called once per judgeable
// entry, in order, with the unescaped target; the string is valid only
// during the call.
//
// When entries are removed, out is dst with the shaped body appended (pass
// dst[:0] to reuse a buffer) and removed is their number. When none is, or
// on error, out is body itself and removed is 0. An error means the body is
// not a list response that can be shaped (see the package documentation
// and the Err values): pass body on unchanged.
func (s *Shaper) Shape(body []byte, kind Kind, id string, keep func(target string) bool, dst []byte) (out []byte, removed int, err error) {
	removed, _, err = s.scan(body, kind, id, keep)
	if err != nil || removed == 0 {
		return body, 0, err
	}
	from := 0
	for _, c := range s.cuts {
		dst = append(dst, body[from:c.start]...)
		from = c.end
	}
	return append(dst, body[from:]...), removed, nil
}

// listState is what scanning learned about the result and its list.
type listState struct {
	found, dup bool // the list member (an array) seen; twice or in a case variant
	notArray   bool // the list member is not an array
}

// scan reads body in one pass, recording in s.cuts the ranges to remove,
// in order. ours reports that body is a response to id without ambiguity
// (valid JSON, one response object, one id, equal to id): the response the
// caller waits for, whether or not it can be shaped.
func (s *Shaper) scan(body []byte, kind Kind, id string, keep func(string) bool) (removed int, ours bool, err error) {
	s.cuts = s.cuts[:0]
	in := kind.info()
	if in == nil || id == "" {
		return 0, false, ErrKind
	}
	sc := &s.sc
	defer sc.Release()
	if sc.Reset(body) != nil {
		return 0, false, ErrNotJSON
	}
	sc.Space()
	if sc.Peek() != '{' {
		if sc.Value(0) != nil || sc.End() != nil {
			return 0, false, ErrNotJSON
		}
		return 0, false, ErrNotResponse
	}
	sc.Skip('{')
	var (
		seen, dup  int
		versionOK  bool
		idMatch    bool
		idScalar   bool
		resultObj  bool
		list       listState
		nRemoved   int
		syntaxFail bool
	)
	sc.Space()
	if !sc.Skip('}') {
		for {
			name, err := sc.Name()
			if err != nil {
				return 0, false, ErrNotJSON
			}
			bit, variant := jsonrpc.MessageMember(name)
			dup |= variant
			if seen&bit != 0 {
				dup |= bit
			}
			first := bit != 0 && seen&bit == 0
			seen |= bit
			sc.Space()
			switch {
			case first && bit == jsonrpc.MemberJSONRPC && sc.Peek() == '"':
				v, err := sc.Quoted()
				if err != nil {
					return 0, false, ErrNotJSON
				}
				versionOK = v == "2.0"
			case first && bit == jsonrpc.MemberID:
				start := sc.Pos()
				c := sc.Peek()
				if sc.Value(1) != nil {
					return 0, false, ErrNotJSON
				}
				idScalar = c == '"' || c == '-' || '0' <= c && c <= '9'
				idMatch = string(body[start:sc.Pos()]) == id
			case first && bit == jsonrpc.MemberResult && sc.Peek() == '{':
				resultObj = true
				n, err := s.result(in, keep, &list)
				if err != nil {
					return 0, false, ErrNotJSON
				}
				nRemoved = n
			default:
				if sc.Value(1) != nil {
					return 0, false, ErrNotJSON
				}
			}
			sc.Space()
			if sc.Skip(',') {
				sc.Space()
				continue
			}
			if sc.Skip('}') {
				break
			}
			syntaxFail = true
			break
		}
	}
	if syntaxFail || sc.End() != nil {
		return 0, false, ErrNotJSON
	}
	switch {
	case dup != 0:
		return 0, false, ErrDuplicate
	case !versionOK || seen&jsonrpc.MemberMethod != 0 || seen&jsonrpc.MemberID == 0 || !idScalar ||
		(seen&jsonrpc.MemberResult != 0) == (seen&jsonrpc.MemberError != 0):
		return 0, false, ErrNotResponse
	case !idMatch:
		return 0, false, ErrOtherID
	case seen&jsonrpc.MemberError != 0:
		return 0, true, ErrErrorResponse
	case !resultObj:
		return 0, true, ErrNoList
	case list.dup:
		return 0, true, ErrDuplicate
	case !list.found || list.notArray:
		return 0, true, ErrNoList
	}
	return nRemoved, true, nil
}

// result reads the result object at the current position (a '{', depth 2),
// and in it the list.
func (s *Shaper) result(in *kindInfo, keep func(string) bool, st *listState) (removed int, err error) {
	sc := &s.sc
	sc.Skip('{')
	sc.Space()
	if sc.Skip('}') {
		return 0, nil
	}
	seen := false
	for {
		name, err := sc.Name()
		if err != nil {
			return 0, err
		}
		sc.Space()
		switch {
		case name == in.member && !seen:
			seen = true
			if sc.Peek() != '[' {
				st.notArray = true
				if err := sc.Value(2); err != nil {
					return 0, err
				}
				break
			}
			st.found = true
			if removed, err = s.list(in, keep); err != nil {
				return 0, err
			}
		case name == in.member || jsonrpc.FoldEqual(name, in.memberLower):
			st.dup = true
			if err := sc.Value(2); err != nil {
				return 0, err
			}
		default:
			if err := sc.Value(2); err != nil {
				return 0, err
			}
		}
		sc.Space()
		if sc.Skip(',') {
			sc.Space()
			continue
		}
		if sc.Skip('}') {
			return removed, nil
		}
		return 0, jsonrpc.ErrSyntax
	}
}

// list reads the list array at the current position (a '[', depth 3),
// judging each entry and recording the cuts.
func (s *Shaper) list(in *kindInfo, keep func(string) bool) (removed int, err error) {
	sc := &s.sc
	sc.Skip('[')
	sc.Space()
	if sc.Skip(']') {
		return 0, nil
	}
	var (
		kept      bool // an entry before this one is kept
		prevComma = -1 // the comma before this entry
		takeComma bool // the comma after this entry goes with it
	)
	for {
		sc.Space()
		start := sc.Pos()
		var target string
		var ok bool
		if sc.Peek() == '{' {
			if target, ok, err = s.entry(in); err != nil {
				return 0, err
			}
		} else if err = sc.Value(3); err != nil {
			return 0, err
		}
		end := sc.Pos()
		if ok && target != "" && keep(target) {
			kept = true
		} else {
			removed++
			if kept {
				s.cut(prevComma, prevComma+1)
				s.cut(start, end)
			} else {
				s.cut(start, end)
				takeComma = true
			}
		}
		sc.Space()
		if sc.Peek() == ',' {
			prevComma = sc.Pos()
			if takeComma {
				s.cut(prevComma, prevComma+1)
				takeComma = false
			}
			sc.Skip(',')
			continue
		}
		if sc.Skip(']') {
			return removed, nil
		}
		return 0, jsonrpc.ErrSyntax
	}
}

// entry reads an entry object at the current position (a '{', depth 4) and
// returns its target; ok is false when the target member is missing, not a
// string, present twice or in a case variant.
func (s *Shaper) entry(in *kindInfo) (target string, ok bool, err error) {
	sc := &s.sc
	sc.Skip('{')
	sc.Space()
	if sc.Skip('}') {
		return "", false, nil
	}
	n := 0
	str, variant := false, false
	for {
		name, err := sc.Name()
		if err != nil {
			return "", false, err
		}
		sc.Space()
		switch {
		case name == in.key:
			n++
			if n == 1 && sc.Peek() == '"' {
				if target, err = sc.Quoted(); err != nil {
					return "", false, err
				}
				str = true
				break
			}
			if err := sc.Value(4); err != nil {
				return "", false, err
			}
		case jsonrpc.FoldEqual(name, in.keyLower):
			variant = true
			if err := sc.Value(4); err != nil {
				return "", false, err
			}
		default:
			if err := sc.Value(4); err != nil {
				return "", false, err
			}
		}
		sc.Space()
		if sc.Skip(',') {
			sc.Space()
			continue
		}
		if sc.Skip('}') {
			return target, n == 1 && str && !variant, nil
		}
		return "", false, jsonrpc.ErrSyntax
	}
}

// cut records [start, end) for removal, merging it with the previous range
// when they touch.
func (s *Shaper) cut(start, end int) {
	if n := len(s.cuts); n > 0 && s.cuts[n-1].end == start {
		s.cuts[n-1].end = end
		return
	}
	s.cuts = append(s.cuts, cut{start, end})
}
