package mcp

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Operation is one entry of a resource's operations: the scopes a JSON-RPC
// method needs, for one target (Name) or for every target (Name "").
type Operation struct {
	// Method is the JSON-RPC method, such as "tools/call", compared
	// case-sensitively with the decoded Mcp-Method.
	Method string
	// Name is the tool or prompt name, or the resource URI, compared
	// byte-exact with the decoded Mcp-Name (no URI normalization). "" means
	// the rule applies to every name; the loader refuses an explicit "".
	// Only allowed when NameRequired(Method).
	Name string
	// Scopes are needed in addition to required_scopes. They may be empty:
	// a named rule with no scopes exempts that target from a method rule.
	Scopes []string
}

// LegacyMode says what to do with a request in EraLegacy, whose headers no
// server is bound to check (see the package documentation).
type LegacyMode uint8

const (
	// LegacyRequireAll judges the request as needing every scope any rule
	// names, plus required_scopes (Rules.Legacy).
	LegacyRequireAll LegacyMode = iota
	// LegacyReject refuses the request (400 invalid_mcp_headers), as the
	// note for intermediaries in MCP 2026-07-28, basic/transports/
	// streamable-http, "Server Validation" recommends.
	LegacyReject
)

// ParseLegacyMode reads the configuration spelling: "require_all" or
// "reject".
func ParseLegacyMode(s string) (LegacyMode, bool) {
	switch s {
	case "require_all":
		return LegacyRequireAll, true
	case "reject":
		return LegacyReject, true
	}
	return 0, false
}

func (m LegacyMode) String() string {
	if m == LegacyReject {
		return "reject"
	}
	return "require_all"
}

// Rules is a resource's compiled operations. It is read-only after Compile and
// safe for concurrent use.
type Rules struct {
	im       *Implications // scope_implies, for Union
	byMethod map[string]*methodRules
	base     *Need // required_scopes alone
	legacy   *Need // required_scopes ∪ every rule's scopes
	mode     LegacyMode
	ops      []Operation
}

type methodRules struct {
	any   *Need            // the rule without a name, or nil
	named map[string]*Need // name → rule, or nil
}

// Compile validates a resource's operations and precomputes, for every rule,
// the Need of required ∪ rule scopes, plus the Need of required_scopes alone
// and of the union of all rules' scopes (for LegacyRequireAll). required are
// the resource's required_scopes, already validated by the loader;
// OfflineAccess among them is not needed (see OfflineAccess). im may be nil.
//
// An operation must have a Method of printable ASCII without spaces (MCP
// method names are such); Name is only allowed for the methods of
// NameRequired and must be valid UTF-8; Scopes must be scope-tokens, not
// OfflineAccess, each once; no two operations may have the same Method and
// Name. Refusals are *ConfigError with List "operations" and the index of the
// offending operation (the later one of a duplicate pair).
func Compile(required []string, ops []Operation, mode LegacyMode, im *Implications) (*Rules, error) {
	return compile(required, ops, mode, im, nil)
}

// rulesNeed is the Rules of a resource without operations and its one Need,
// allocated together.
type rulesNeed struct {
	r Rules
	n Need
}

// RulesBlock compiles the rules of many resources, the rules of those
// without operations (most of them) carved from blocks: a start with
// 10,000 resources makes a few allocations for them, not 10,000. The zero
// RulesBlock is ready to use.
type RulesBlock struct {
	free []rulesNeed
	// none is the Rules, per LegacyMode, of every resource that needs no
	// scope at all (no required_scopes but offline_access, no operations):
	// equal, read-only, so shared.
	none [2]*rulesNeed
}

// Compile is Compile, for one more resource.
func (b *RulesBlock) Compile(required []string, ops []Operation, mode LegacyMode, im *Implications) (*Rules, error) {
	return compile(required, ops, mode, im, b)
}

func compile(required []string, ops []Operation, mode LegacyMode, im *Implications, b *RulesBlock) (*Rules, error) {
	if mode != LegacyRequireAll && mode != LegacyReject {
		return nil, errors.New("mcp: unknown LegacyMode " + itoa(int(mode))) // a programming error: the loader uses ParseLegacyMode
	}
	if len(ops) == 0 { // most resources: required_scopes alone, nothing per method
		// Rules and its Need in one allocation, or carved from b.
		var rn *rulesNeed
		nothing := !slices.ContainsFunc(required, func(s string) bool { return s != OfflineAccess })
		if b != nil && nothing && b.none[mode] != nil {
			return &b.none[mode].r, nil
		}
		if b != nil {
			if len(b.free) == 0 {
				b.free = make([]rulesNeed, 256)
			}
			rn, b.free = &b.free[0], b.free[1:]
		} else {
			rn = &rulesNeed{}
		}
		rn.n.init(-1, im, required)
		rn.r = Rules{base: &rn.n, legacy: &rn.n, mode: mode, im: im}
		if b != nil && nothing {
			b.none[mode] = rn
		}
		return &rn.r, nil
	}
	r := &Rules{byMethod: map[string]*methodRules{}, mode: mode, ops: slices.Clone(ops), im: im}
	all := slices.Clone(required)
	for i, op := range ops {
		if err := checkOperation(i, op); err != nil {
			return nil, err
		}
		mr := r.byMethod[op.Method]
		if mr == nil {
			mr = &methodRules{}
			r.byMethod[op.Method] = mr
		}
		need := newNeed(i, im, required, op.Scopes)
		dup := false
		if op.Name == "" {
			dup, mr.any = mr.any != nil, need
		} else {
			if mr.named == nil {
				mr.named = map[string]*Need{}
			}
			_, dup = mr.named[op.Name]
			mr.named[op.Name] = need
		}
		if dup {
			first := slices.IndexFunc(ops, func(o Operation) bool { return o.Method == op.Method && o.Name == op.Name })
			what := "method " + quote(op.Method)
			if op.Name != "" {
				what += " and name " + quote(op.Name)
			}
			return nil, &ConfigError{List: "operations", Index: i, Item: -1,
				Msg: fmt.Sprintf("has the same %s as operations[%d]", what, first),
				Fix: "merge the two rules into one"}
		}
		all = append(all, op.Scopes...)
	}
	r.base = newNeed(-1, im, required)
	r.legacy = newNeed(-1, im, all)
	return r, nil
}

func checkOperation(i int, op Operation) error {
	bad := func(field string, item int, msg, fix string) error {
		return &ConfigError{List: "operations", Index: i, Field: field, Item: item, Msg: msg, Fix: fix}
	}
	if op.Method == "" {
		return bad("method", -1, "is missing or empty", `name the JSON-RPC method, such as "tools/call"`)
	}
	for j := 0; j < len(op.Method); j++ {
		if c := op.Method[j]; c < 0x21 || c > 0x7E {
			return bad("method", -1, fmt.Sprintf("%q is not a JSON-RPC method name of printable ASCII", op.Method), `write the method as MCP spells it, such as "tools/call"`)
		}
	}
	if op.Name != "" {
		if !NameRequired(op.Method) {
			return bad("name", -1, fmt.Sprintf("is only allowed for tools/call, resources/read and prompts/get, not %q", op.Method),
				"remove the name, or use one of those methods")
		}
		if !utf8.ValidString(op.Name) {
			return bad("name", -1, "is not valid UTF-8", "write the tool or prompt name, or the resource URI, as the client sends it")
		}
	}
	for j, s := range op.Scopes {
		if p := scopeProblem(s); p != "" {
			return bad("scopes", j, fmt.Sprintf("%q %s", s, p), scopeFix(s))
		}
		if slices.Index(op.Scopes, s) < j {
			return bad("scopes", j, fmt.Sprintf("%q is listed twice", s), "list each scope once")
		}
	}
	return nil
}

// For returns the Need of a request in EraCurrent with this decoded method and
// name ("" for none): the rule with the same method and name, else the rule
// with the same method and no name, else required_scopes alone. It does not
// allocate.
func (r *Rules) For(method, name string) *Need {
	mr := r.byMethod[method]
	if mr == nil {
		return r.base
	}
	if name != "" && mr.named != nil {
		if n := mr.named[name]; n != nil {
			return n
		}
	}
	if mr.any != nil {
		return mr.any
	}
	return r.base
}

// Legacy returns the Need of a request in EraLegacy under LegacyRequireAll:
// required_scopes, then every rule's scopes in rule order, each once.
func (r *Rules) Legacy() *Need { return r.legacy }

// Base returns the Need of required_scopes alone.
func (r *Rules) Base() *Need { return r.base }

// Mode returns the legacy mode Compile was given.
func (r *Rules) Mode() LegacyMode { return r.mode }

// Operation returns operation i as compiled (for tracing Need.Rule).
func (r *Rules) Operation(i int) Operation { return r.ops[i] }

// Select returns the Need of a request whose headers Parse accepted: For its
// method and name in EraCurrent, Legacy in EraLegacy under LegacyRequireAll.
// ok is false for EraLegacy under LegacyReject: refuse the request with
// Reason.
func (r *Rules) Select(h *Headers) (need *Need, ok bool) {
	if h.Era == EraCurrent {
		return r.For(h.Method, h.Name), true
	}
	if r.mode == LegacyReject {
		return nil, false
	}
	return r.legacy, true
}

// ConfigError is one refusal of operations, scope_implies or allowed_origins,
// placed precisely enough for the loader to build a JSON path (Path).
type ConfigError struct {
	_ [0]func() // not comparable: no generated equality function in the module
	// List is the configuration member at fault: "operations",
	// "scope_implies" or "allowed_origins".
	List string
	// Index is the element of an array List, or -1.
	Index int
	// Key is the member of scope_implies at fault (List "scope_implies"
	// only; it may itself be "").
	Key string
	// Field is the member of the operation at fault: "method", "name",
	// "scopes", or "" for the operation as a whole.
	Field string
	// Item is the element of Field (scopes) or of Key's list, or -1.
	Item int

	Msg, Fix string
}

// Path is the JSON path of the offending value relative to the object that
// holds List, in the loader's notation: `operations[2].scopes[0]`,
// `scope_implies["files:write"][1]`, `allowed_origins[0]`.
func (e *ConfigError) Path() string {
	s := e.List
	if e.Index >= 0 {
		s += "[" + itoa(e.Index) + "]"
	}
	if e.List == "scope_implies" {
		s += memberSuffix(e.Key)
	}
	if e.Field != "" {
		s += "." + e.Field
	}
	if e.Item >= 0 {
		s += "[" + itoa(e.Item) + "]"
	}
	return s
}

// memberSuffix renders member key the way the loader does: ".key" for a plain
// identifier, `["key"]` otherwise.
func memberSuffix(key string) string {
	ident := key != "" && len(key) <= 64
	for i := 0; ident && i < len(key); i++ {
		c := key[i]
		ident = c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	if ident {
		return "." + key
	}
	return "[" + quote(key) + "]"
}

// Error returns the refusal as one line: `<path>: <msg>; fix: <fix>`.
func (e *ConfigError) Error() string {
	s := e.Path() + ": " + e.Msg
	if e.Fix != "" {
		s += "; fix: " + e.Fix
	}
	return s
}
