package mcp

import (
	"fmt"
	"iter"
	"math/bits"
	"slices"

	"github.com/audguard/audguard/internal/lex"
	"github.com/audguard/audguard/internal/strsort"
)

// OfflineAccess is the scope that asks the authorization server for a refresh
// token (OpenID Connect Core 1.0 §11). It is not an access requirement: MCP
// servers SHOULD NOT put it in a WWW-Authenticate scope (MCP 2026-07-28,
// basic/authorization, "Refresh Tokens"), so it never appears in a Need, may
// not be named by an operation, and takes no part in scope_implies.
const OfflineAccess = "offline_access"

// Implications is the compiled scope_implies: which scopes each scope grants.
// MCP servers MUST account for scope hierarchies, where a broader scope
// implies narrower ones, when deciding whether a token is sufficient (MCP
// 2026-07-28, basic/authorization, "Step-Up Authorization Flow"). A nil
// *Implications is the empty hierarchy: every scope grants only itself.
type Implications struct {
	closure   map[string][]string // scope named in scope_implies → every scope it grants, itself first, then sorted
	impliedBy map[string][]string // scope → every other scope that grants it, sorted
}

// CompileImplications validates scope_implies (broader scope → the narrower
// scopes it implies) and computes its transitive closure. Implication is
// transitive, and cycles are harmless: the scopes of a cycle grant each other.
// Keys and listed scopes must be scope-tokens other than OfflineAccess; a list
// must not be empty or repeat a scope. Refusals are *ConfigError with List
// "scope_implies", reported for keys in sorted order.
func CompileImplications(m map[string][]string) (*Implications, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	strsort.Sort(keys)
	for _, k := range keys {
		bad := func(item int, msg, fix string) error {
			return &ConfigError{List: "scope_implies", Index: -1, Key: k, Item: item, Msg: msg, Fix: fix}
		}
		if err := scopeProblem(k); err != "" {
			return nil, bad(-1, fmt.Sprintf("the scope %q %s", k, err), scopeFix(k))
		}
		if len(m[k]) == 0 {
			return nil, bad(-1, "lists no scopes", "list the narrower scopes it implies, or remove it")
		}
		for i, s := range m[k] {
			if err := scopeProblem(s); err != "" {
				return nil, bad(i, fmt.Sprintf("%q %s", s, err), scopeFix(s))
			}
			if slices.Index(m[k], s) < i {
				return nil, bad(i, fmt.Sprintf("%q is listed twice", s), "list each scope once")
			}
		}
	}
	im := &Implications{closure: make(map[string][]string, len(m)), impliedBy: map[string][]string{}}
	for _, k := range keys {
		seen := map[string]bool{k: true}
		stack := []string{k}
		var out []string
		for len(stack) > 0 {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, n := range m[s] {
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
					stack = append(stack, n)
				}
			}
		}
		strsort.Sort(out)
		im.closure[k] = append([]string{k}, out...)
		for _, n := range out {
			im.impliedBy[n] = append(im.impliedBy[n], k) // keys are visited sorted
		}
	}
	return im, nil
}

// scopeProblem says why s cannot be used as a required scope ("" if it can).
func scopeProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case !lex.IsScopeToken(s):
		return "is not an RFC 6749 §3.3 scope-token"
	case s == OfflineAccess:
		return "asks for a refresh token and is not an access requirement (MCP 2026-07-28, basic/authorization, Refresh Tokens)"
	}
	return ""
}

func scopeFix(s string) string {
	if s == OfflineAccess {
		return `remove "offline_access": clients request it themselves when they want refresh tokens`
	}
	return `use printable ASCII without spaces, '"' or '\'`
}

// Grants returns every scope that scope grants, itself first, for a scope
// that is a key of scope_implies; nil for any other scope, which grants only
// itself. The result must not be modified.
func (im *Implications) Grants(scope string) []string {
	if im == nil {
		return nil
	}
	return im.closure[scope]
}

// Implies reports whether a token granted broader satisfies a need for
// narrower: they are equal, or narrower is in broader's closure.
func (im *Implications) Implies(broader, narrower string) bool {
	if broader == narrower {
		return true
	}
	if im == nil {
		return false
	}
	c := im.closure[broader]
	if len(c) < 2 {
		return false
	}
	_, ok := slices.BinarySearch(c[1:], narrower)
	return ok
}

// Need is a precomputed set of scopes a request needs — required_scopes, then
// the matched rule's scopes, without duplicates and without OfflineAccess —
// together with a table from each scope that can satisfy one of them (the
// scope itself, or any broader scope whose closure holds it) to the members it
// satisfies. Checking a token against a Need therefore costs one map lookup
// per granted scope and no set arithmetic.
type Need struct {
	scopes []string
	rule   int              // index of the operation rule, -1 for none
	words  int              // len(scopes) in 64-bit words
	grants map[string]int32 // granted scope → offset of its mask in masks
	masks  []uint64
}

// newNeed builds the Need for lists of scopes, in order, dropping duplicates
// and OfflineAccess.
func newNeed(rule int, im *Implications, lists ...[]string) *Need {
	n := &Need{}
	n.init(rule, im, lists...)
	return n
}

// init sets n up as newNeed describes.
func (n *Need) init(rule int, im *Implications, lists ...[]string) {
	n.rule = rule
	for _, l := range lists {
		for _, s := range l {
			if s != OfflineAccess && !slices.Contains(n.scopes, s) {
				n.scopes = append(n.scopes, s)
			}
		}
	}
	if len(n.scopes) == 0 {
		return // needs nothing: Check answers at once, no table
	}
	n.grants = make(map[string]int32, len(n.scopes))
	n.words = (len(n.scopes) + 63) / 64
	add := func(g string, i int) {
		off, ok := n.grants[g]
		if !ok {
			off = int32(len(n.masks))
			n.masks = append(n.masks, make([]uint64, n.words)...)
			n.grants[g] = off
		}
		n.masks[int(off)+i/64] |= 1 << (i % 64)
	}
	for i, s := range n.scopes {
		add(s, i)
		if im != nil {
			for _, b := range im.impliedBy[s] {
				add(b, i)
			}
		}
	}
}

// Scopes returns the needed scopes: required_scopes first, then the rule's,
// each once, never OfflineAccess. It is the scope of an insufficient_scope
// challenge that names everything the operation needs (MCP 2026-07-28,
// basic/authorization, "Scope Challenge Handling": all scopes for the
// current operation in a single challenge). It must not be modified.
func (n *Need) Scopes() []string { return n.scopes }

// Rule returns the index of the operation rule this Need belongs to, or -1
// for required_scopes alone and for the legacy union.
func (n *Need) Rule() int { return n.rule }

// Checker decides whether granted scopes cover a Need. The zero value is
// ready to use; it keeps scratch space, so it is not safe for concurrent use.
type Checker struct {
	need      *Need
	seen      []uint64
	remaining int
	yield     func([]byte) bool // c.grant, made once so Check does not allocate
}

// Check reports whether the scopes granted yields (for example the
// EachScope method of a verified token's claims) cover every scope of n,
// taking scope implications into account. When they do not, it returns
// missing with the uncovered scopes appended in n's order; pass a reused
// slice truncated to zero to avoid allocating. Check stops the iteration as
// soon as everything is covered. It does not allocate after the first call,
// nor once the scratch space has grown to n's size.
func (c *Checker) Check(n *Need, granted iter.Seq[[]byte], missing []string) ([]string, bool) {
	if len(n.scopes) == 0 {
		return missing, true
	}
	if c.yield == nil {
		c.yield = c.grant
	}
	if cap(c.seen) < n.words {
		c.seen = make([]uint64, n.words)
	}
	c.seen = c.seen[:n.words]
	clear(c.seen)
	c.need, c.remaining = n, len(n.scopes)
	granted(c.yield)
	c.need = nil
	if c.remaining == 0 {
		return missing, true
	}
	for i, s := range n.scopes {
		if c.seen[i/64]&(1<<(i%64)) == 0 {
			missing = append(missing, s)
		}
	}
	return missing, false
}

// grant records one granted scope; it returns false (stop) once every needed
// scope is covered.
func (c *Checker) grant(scope []byte) bool {
	if c.need == nil || c.remaining == 0 {
		return false
	}
	off, ok := c.need.grants[string(scope)]
	if !ok {
		return true
	}
	for w, m := range c.need.masks[off : int(off)+c.need.words] {
		if fresh := m &^ c.seen[w]; fresh != 0 {
			c.seen[w] |= fresh
			c.remaining -= bits.OnesCount64(fresh)
		}
	}
	return c.remaining > 0
}
