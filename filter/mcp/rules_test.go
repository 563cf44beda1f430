package mcp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCompileRefuses(t *testing.T) {
	op := func(method, name string, scopes ...string) Operation {
		return Operation{Method: method, Name: name, Scopes: scopes}
	}
	tests := []struct {
		desc string
		ops  []Operation
		path string // "" when the operations are valid
		msg  string
	}{
		// An operation must have a method.
		{"no method", []Operation{op("", "", "a")}, "operations[0].method", "missing or empty"},
		{"method with a space", []Operation{op("tools/list", ""), op("tools call", "")}, "operations[1].method", "printable ASCII"},
		{"method with a control byte", []Operation{op("tools/call\x00", "")}, "operations[0].method", "printable ASCII"},
		{"method not ASCII", []Operation{op("tööls/list", "")}, "operations[0].method", "printable ASCII"},

		// name only for tools/call, resources/read and prompts/get.
		{"name for tools/call", []Operation{op("tools/call", "x")}, "", ""},
		{"name for resources/read", []Operation{op("resources/read", "file:///a")}, "", ""},
		{"name for prompts/get", []Operation{op("prompts/get", "p")}, "", ""},
		{"name for tools/list", []Operation{op("tools/list", "x")}, "operations[0].name", "only allowed for tools/call"},
		{"name for resources/subscribe", []Operation{op("resources/subscribe", "file:///a")}, "operations[0].name", "not \"resources/subscribe\""},
		{"name for Tools/Call", []Operation{op("Tools/Call", "x")}, "operations[0].name", "only allowed"},
		{"name not UTF-8", []Operation{op("tools/call", "caf\xe9")}, "operations[0].name", "UTF-8"},
		{"name with spaces and non-ASCII", []Operation{op("tools/call", " grüße ")}, "", ""},

		// Scopes are RFC 6749 §3.3 scope-tokens.
		{"no scopes", []Operation{op("tools/call", "safe")}, "", ""},
		{"scope with space", []Operation{op("tools/call", "", "a b")}, "operations[0].scopes[0]", "scope-token"},
		{"scope with quote", []Operation{op("tools/call", "", "ok", `a"b`)}, "operations[0].scopes[1]", "scope-token"},
		{"scope with backslash", []Operation{op("tools/call", "", `a\b`)}, "operations[0].scopes[0]", "scope-token"},
		{"scope not ASCII", []Operation{op("tools/call", "", "é")}, "operations[0].scopes[0]", "scope-token"},
		{"scope empty", []Operation{op("tools/call", "", "")}, "operations[0].scopes[0]", "empty"},
		{"scope twice", []Operation{op("tools/call", "", "a", "b", "a")}, "operations[0].scopes[2]", "listed twice"},
		{"all scope-token bytes", []Operation{op("tools/call", "", "!#[]~:/.")}, "", ""},

		// offline_access is never an operation's requirement.
		{"offline_access", []Operation{op("tools/list", ""), op("tools/call", "", "a", "offline_access")}, "operations[1].scopes[1]", "refresh token"},
		{"offline_access alone", []Operation{op("tools/call", "x", "offline_access")}, "operations[0].scopes[0]", "not an access requirement"},
		{"offline_access in another case is just a scope", []Operation{op("tools/call", "", "Offline_Access")}, "", ""},

		// No two rules with the same method and name.
		{"same method twice", []Operation{op("tools/list", "", "a"), op("tools/list", "", "b")}, "operations[1]", "same method \"tools/list\" as operations[0]"},
		{"same method and name twice", []Operation{op("tools/call", "x"), op("tools/call", ""), op("tools/call", "x", "b")}, "operations[2]", "and name \"x\" as operations[0]"},
		{"same name, other method", []Operation{op("tools/call", "x"), op("prompts/get", "x")}, "", ""},
		{"method rule and named rule", []Operation{op("tools/call", "x"), op("tools/call", "")}, "", ""},
		{"names differ in case", []Operation{op("tools/call", "x"), op("tools/call", "X")}, "", ""},
		{"nothing", nil, "", ""},
	}
	for _, tt := range tests {
		_, err := Compile([]string{"mcp"}, tt.ops, LegacyRequireAll, nil)
		if tt.path == "" {
			if err != nil {
				t.Errorf("%s: Compile: %v", tt.desc, err)
			}
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: Compile error = %v, want a *ConfigError", tt.desc, err)
			continue
		}
		if ce.Path() != tt.path || !strings.Contains(ce.Msg, tt.msg) || ce.Fix == "" {
			t.Errorf("%s: Compile error = %q (path %q), want path %q and %q", tt.desc, err, ce.Path(), tt.path, tt.msg)
		}
	}
}

func TestCompileUnknownMode(t *testing.T) {
	if _, err := Compile(nil, nil, LegacyMode(7), nil); err == nil {
		t.Error("Compile accepted an unknown legacy mode")
	}
}

// testRules: required_scopes "mcp" and one rule of each kind.
func testRules(t *testing.T, mode LegacyMode) *Rules {
	t.Helper()
	r, err := Compile([]string{"mcp"}, []Operation{
		{Method: "tools/call", Name: "deploy", Scopes: []string{"deploy"}}, // 0: named before the method rule
		{Method: "tools/call", Scopes: []string{"tools:call"}},             // 1
		{Method: "tools/call", Name: "safe"},                               // 2: exempt from rule 1
		{Method: "resources/read", Name: "file:///a", Scopes: []string{"files:read"}},
		{Method: "prompts/get", Scopes: []string{"prompts", "mcp"}}, // 4
		{Method: "tools/list", Scopes: []string{"tools:list"}},      // 5
		{Method: "tools/call", Name: " grüße ", Scopes: []string{"greet"}},
	}, mode, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRulesFor(t *testing.T) {
	r := testRules(t, LegacyRequireAll)
	tests := []struct {
		method, name string
		rule         int
		scopes       []string
	}{
		// The rule with the same method and name wins...
		{"tools/call", "deploy", 0, []string{"mcp", "deploy"}},
		{"tools/call", "safe", 2, []string{"mcp"}},
		{"resources/read", "file:///a", 3, []string{"mcp", "files:read"}},
		{"tools/call", " grüße ", 6, []string{"mcp", "greet"}},
		// ...else the rule with the same method and no name...
		{"tools/call", "get_weather", 1, []string{"mcp", "tools:call"}},
		{"tools/call", "Deploy", 1, []string{"mcp", "tools:call"}},
		{"tools/call", "deploy ", 1, []string{"mcp", "tools:call"}},
		{"tools/call", "", 1, []string{"mcp", "tools:call"}},
		{"prompts/get", "any", 4, []string{"mcp", "prompts"}},
		{"tools/list", "", 5, []string{"mcp", "tools:list"}},
		{"tools/list", "deploy", 5, []string{"mcp", "tools:list"}},
		// ...else none: required_scopes alone.
		{"resources/read", "file:///b", -1, []string{"mcp"}},
		{"resources/read", "FILE:///a", -1, []string{"mcp"}},
		{"resources/read", "file:///a/", -1, []string{"mcp"}},
		{"ping", "", -1, []string{"mcp"}},
		{"Tools/Call", "deploy", -1, []string{"mcp"}},
		{"tools/call\x00deploy", "", -1, []string{"mcp"}},
		{"", "", -1, []string{"mcp"}},
	}
	for _, tt := range tests {
		n := r.For(tt.method, tt.name)
		if n.Rule() != tt.rule || !reflect.DeepEqual(n.Scopes(), tt.scopes) {
			t.Errorf("For(%q, %q) = rule %d %q, want rule %d %q", tt.method, tt.name, n.Rule(), n.Scopes(), tt.rule, tt.scopes)
		}
	}
	if op := r.Operation(r.For("tools/call", "deploy").Rule()); op.Name != "deploy" {
		t.Errorf("Operation = %+v", op)
	}
}

func TestNeedOrder(t *testing.T) {
	tests := []struct {
		desc     string
		required []string
		ops      []Operation
		rule     []string // For(ops[0])
		legacy   []string
		base     []string
	}{
		{
			"required first, then the rule's, each once",
			[]string{"b", "a"}, []Operation{{Method: "m", Scopes: []string{"a", "c", "b", "d"}}},
			[]string{"b", "a", "c", "d"}, []string{"b", "a", "c", "d"}, []string{"b", "a"},
		},
		{
			"legacy union in rule order",
			[]string{"mcp"}, []Operation{
				{Method: "m", Scopes: []string{"x", "y"}},
				{Method: "n", Scopes: []string{"z", "y"}},
				{Method: "o"},
				{Method: "tools/call", Name: "t", Scopes: []string{"mcp", "w"}},
			},
			[]string{"mcp", "x", "y"}, []string{"mcp", "x", "y", "z", "w"}, []string{"mcp"},
		},
		{
			"offline_access in required_scopes is never needed",
			[]string{"offline_access", "a"}, []Operation{{Method: "m", Scopes: []string{"b"}}},
			[]string{"a", "b"}, []string{"a", "b"}, []string{"a"},
		},
		{
			"nothing needed",
			nil, []Operation{{Method: "m"}},
			nil, nil, nil,
		},
	}
	for _, tt := range tests {
		r, err := Compile(tt.required, tt.ops, LegacyRequireAll, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.desc, err)
		}
		if got := r.For(tt.ops[0].Method, tt.ops[0].Name).Scopes(); !reflect.DeepEqual(got, tt.rule) {
			t.Errorf("%s: rule needs %q, want %q", tt.desc, got, tt.rule)
		}
		if got := r.Legacy().Scopes(); !reflect.DeepEqual(got, tt.legacy) {
			t.Errorf("%s: legacy needs %q, want %q", tt.desc, got, tt.legacy)
		}
		if got := r.Base().Scopes(); !reflect.DeepEqual(got, tt.base) {
			t.Errorf("%s: base needs %q, want %q", tt.desc, got, tt.base)
		}
	}
}

// TestCompileKeepsInputs: Compile neither changes nor aliases what it is given.
func TestCompileKeepsInputs(t *testing.T) {
	required := []string{"a", "b"}
	ops := []Operation{{Method: "m", Scopes: []string{"c"}}}
	r, err := Compile(required[:1], ops, LegacyRequireAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops[0].Method = "changed"
	if !reflect.DeepEqual(required, []string{"a", "b"}) || r.Operation(0).Method != "m" || r.For("m", "").Rule() != 0 {
		t.Errorf("inputs changed or aliased: %q %+v", required, r.Operation(0))
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		desc   string
		mode   LegacyMode
		h      Headers
		rule   int
		scopes []string
		ok     bool
	}{
		{"current: the rule", LegacyReject, Headers{Era: EraCurrent, Method: "tools/call", Name: "deploy"}, 0, []string{"mcp", "deploy"}, true},
		{"current: no rule", LegacyReject, Headers{Era: EraCurrent, Method: "ping"}, -1, []string{"mcp"}, true},
		{"legacy, require_all: every rule's scopes", LegacyRequireAll, Headers{Era: EraLegacy}, -1,
			[]string{"mcp", "deploy", "tools:call", "files:read", "prompts", "tools:list", "greet"}, true},
		{"legacy, reject", LegacyReject, Headers{Era: EraLegacy, Version: "2025-11-25"}, 0, nil, false},
	}
	for _, tt := range tests {
		r := testRules(t, tt.mode)
		n, ok := r.Select(&tt.h)
		if ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.desc, ok, tt.ok)
			continue
		}
		if !ok {
			if n != nil {
				t.Errorf("%s: a Need with !ok", tt.desc)
			}
			continue
		}
		if n.Rule() != tt.rule || !reflect.DeepEqual(n.Scopes(), tt.scopes) {
			t.Errorf("%s: Select = rule %d %q, want rule %d %q", tt.desc, n.Rule(), n.Scopes(), tt.rule, tt.scopes)
		}
		if r.Mode() != tt.mode {
			t.Errorf("%s: Mode = %v", tt.desc, r.Mode())
		}
	}
}

func TestParseLegacyMode(t *testing.T) {
	tests := []struct {
		in   string
		want LegacyMode
		ok   bool
	}{
		{"require_all", LegacyRequireAll, true},
		{"reject", LegacyReject, true},
		{"Reject", 0, false},
		{"require-all", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseLegacyMode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseLegacyMode(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestConfigErrorPath(t *testing.T) {
	tests := []struct {
		e    ConfigError
		want string
	}{
		{ConfigError{List: "operations", Index: 2, Item: -1}, "operations[2]"},
		{ConfigError{List: "operations", Index: 0, Field: "method", Item: -1}, "operations[0].method"},
		{ConfigError{List: "operations", Index: 1, Field: "scopes", Item: 3}, "operations[1].scopes[3]"},
		{ConfigError{List: "scope_implies", Index: -1, Key: "admin", Item: -1}, "scope_implies.admin"},
		{ConfigError{List: "scope_implies", Index: -1, Key: "files:write", Item: 1}, `scope_implies["files:write"][1]`},
		{ConfigError{List: "scope_implies", Index: -1, Key: "", Item: -1}, `scope_implies[""]`},
		{ConfigError{List: "allowed_origins", Index: 4, Item: -1}, "allowed_origins[4]"},
	}
	for _, tt := range tests {
		if got := tt.e.Path(); got != tt.want {
			t.Errorf("Path() = %q, want %q", got, tt.want)
		}
	}
	e := &ConfigError{List: "operations", Index: 0, Field: "name", Item: -1, Msg: "bad name", Fix: "fix it"}
	if got := e.Error(); got != "operations[0].name: bad name; fix: fix it" {
		t.Errorf("Error() = %q", got)
	}
}

// TestRulesBlockSharesNothingNeeded: a block hands every resource that
// needs no scope (none required but offline_access, no operations) the same
// Rules per legacy mode, and that Rules needs nothing in either era; a
// resource that needs a scope gets its own.
func TestRulesBlockSharesNothingNeeded(t *testing.T) {
	var b RulesBlock
	compile := func(required []string, mode LegacyMode) *Rules {
		t.Helper()
		r, err := b.Compile(required, nil, mode, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, again := compile(nil, LegacyRequireAll), compile([]string{OfflineAccess}, LegacyRequireAll)
	reject := compile(nil, LegacyReject)
	scoped := compile([]string{"mcp"}, LegacyRequireAll)
	if a != again {
		t.Error("two resources needing nothing, same mode: not shared")
	}
	if reject == a || scoped == a {
		t.Error("shared across modes, or with a resource that needs a scope")
	}
	if got := scoped.Base().Scopes(); !reflect.DeepEqual(got, []string{"mcp"}) {
		t.Errorf("scoped needs %q", got)
	}
	for _, r := range []*Rules{a, reject} {
		if n := r.Base(); len(n.Scopes()) != 0 || n.Rule() != -1 {
			t.Errorf("mode %v: base needs %q", r.mode, n.Scopes())
		}
		n, ok := r.Select(&Headers{Era: EraLegacy})
		if ok != (r.mode == LegacyRequireAll) || ok && len(n.Scopes()) != 0 {
			t.Errorf("mode %v: legacy select = %v, %v", r.mode, n, ok)
		}
	}
}
