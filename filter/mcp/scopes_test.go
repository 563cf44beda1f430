package mcp

import (
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strings"
	"testing"
)

// granted yields scopes the way jwtlite.Claims.EachScope does.
type granted []string

func (g granted) each(yield func([]byte) bool) {
	for _, s := range g {
		if !yield([]byte(s)) {
			return
		}
	}
}

func TestCompileImplicationsRefuses(t *testing.T) {
	tests := []struct {
		desc string
		m    map[string][]string
		path string // "" when valid
		msg  string
	}{
		{"empty", nil, "", ""},
		{"chain", map[string][]string{"a": {"b"}, "b": {"c"}}, "", ""},
		{"cycle", map[string][]string{"a": {"b"}, "b": {"a"}}, "", ""},
		{"self", map[string][]string{"a": {"a"}}, "", ""},
		{"key not a scope-token", map[string][]string{"a b": {"c"}}, `scope_implies["a b"]`, "scope-token"},
		{"empty key", map[string][]string{"": {"c"}}, `scope_implies[""]`, "empty"},
		{"key offline_access", map[string][]string{"ok": {"x"}, "offline_access": {"x"}}, "scope_implies.offline_access", "refresh token"},
		{"implies offline_access", map[string][]string{"admin": {"files", "offline_access"}}, "scope_implies.admin[1]", "refresh token"},
		{"listed scope not a scope-token", map[string][]string{"files:write": {`a"b`}}, `scope_implies["files:write"][0]`, "scope-token"},
		{"listed scope empty", map[string][]string{"a": {"b", ""}}, "scope_implies.a[1]", "empty"},
		{"empty list", map[string][]string{"a": {}}, "scope_implies.a", "lists no scopes"},
		{"listed twice", map[string][]string{"a": {"b", "c", "b"}}, "scope_implies.a[2]", "listed twice"},
		{"first bad key in sorted order", map[string][]string{"z": {}, "b": {}, "m": {}}, "scope_implies.b", "lists no scopes"},
	}
	for _, tt := range tests {
		_, err := CompileImplications(tt.m)
		if tt.path == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.desc, err)
			}
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Path() != tt.path || !strings.Contains(ce.Msg, tt.msg) || ce.Fix == "" {
			t.Errorf("%s: error = %v, want path %q and %q", tt.desc, err, tt.path, tt.msg)
		}
	}
}

func testImplications(t *testing.T) *Implications {
	t.Helper()
	im, err := CompileImplications(map[string][]string{
		// A chain of three: admin → files:write → files:read.
		"admin":       {"files:write"},
		"files:write": {"files:read"},
		// A cycle of three.
		"x": {"y"},
		"y": {"z"},
		"z": {"x"},
		// A self-loop, and a diamond.
		"self":    {"self"},
		"all":     {"tools", "prompts"},
		"tools":   {"tools:call", "tools:list"},
		"prompts": {"tools:list"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestImplications(t *testing.T) {
	im := testImplications(t)
	grants := []struct {
		scope string
		want  []string
	}{
		{"admin", []string{"admin", "files:read", "files:write"}},
		{"files:write", []string{"files:write", "files:read"}},
		{"files:read", nil}, // not a key: grants only itself
		{"x", []string{"x", "y", "z"}},
		{"z", []string{"z", "x", "y"}},
		{"self", []string{"self"}},
		{"all", []string{"all", "prompts", "tools", "tools:call", "tools:list"}},
		{"unknown", nil},
	}
	for _, tt := range grants {
		if got := im.Grants(tt.scope); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Grants(%q) = %q, want %q", tt.scope, got, tt.want)
		}
	}
	implies := []struct {
		broader, narrower string
		want              bool
	}{
		{"admin", "files:write", true},
		{"admin", "files:read", true}, // transitive
		{"files:write", "files:read", true},
		{"files:read", "files:write", false},
		{"files:read", "admin", false},
		{"files:write", "admin", false},
		{"files:read", "files:read", true},
		{"unknown", "unknown", true},
		{"unknown", "admin", false},
		{"x", "z", true},
		{"z", "y", true}, // around the cycle
		{"y", "x", true},
		{"x", "admin", false},
		{"all", "tools:list", true},
		{"tools", "prompts", false},
		{"Admin", "files:read", false}, // case-sensitive
	}
	for _, tt := range implies {
		if got := im.Implies(tt.broader, tt.narrower); got != tt.want {
			t.Errorf("Implies(%q, %q) = %v, want %v", tt.broader, tt.narrower, got, tt.want)
		}
	}
	var none *Implications
	if none.Grants("a") != nil || !none.Implies("a", "a") || none.Implies("a", "b") {
		t.Error("nil *Implications is not the empty hierarchy")
	}
}

func TestCheck(t *testing.T) {
	im := testImplications(t)
	tests := []struct {
		desc    string
		need    []string
		granted granted
		missing []string // nil: covered
	}{
		{"nothing needed", nil, nil, nil},
		{"nothing needed, something granted", nil, granted{"a"}, nil},
		{"exact", []string{"a"}, granted{"a"}, nil},
		{"exact, among others", []string{"a", "b"}, granted{"z0", "b", "q", "a"}, nil},
		{"none granted", []string{"a", "b"}, nil, []string{"a", "b"}},
		{"one missing, in need order", []string{"a", "b", "c"}, granted{"c", "a"}, []string{"b"}},
		{"case-sensitive", []string{"files:read"}, granted{"Files:Read"}, []string{"files:read"}},
		{"prefix is not a scope", []string{"files:read"}, granted{"files"}, []string{"files:read"}},
		{"granted twice", []string{"a", "b"}, granted{"a", "a"}, []string{"b"}},
		{"empty granted entry", []string{"a"}, granted{""}, []string{"a"}},

		// Implications: a chain of three.
		{"broader grants narrower", []string{"files:read"}, granted{"files:write"}, nil},
		{"transitively", []string{"files:read"}, granted{"admin"}, nil},
		{"both by one broad scope", []string{"files:write", "files:read"}, granted{"admin"}, nil},
		{"narrower does not grant broader", []string{"admin"}, granted{"files:read", "files:write"}, []string{"admin"}},
		{"partly implied", []string{"files:write", "files:read"}, granted{"files:read"}, []string{"files:write"}},
		{"cycle", []string{"x"}, granted{"y"}, nil},
		{"cycle, the other way", []string{"z", "y"}, granted{"x"}, nil},
		{"self-loop", []string{"self"}, granted{"self"}, nil},
		{"diamond", []string{"tools:list", "tools:call"}, granted{"prompts"}, []string{"tools:call"}},
		{"diamond top", []string{"tools:list", "tools:call", "prompts"}, granted{"all"}, nil},

		// offline_access is never needed, and grants nothing.
		{"offline_access not needed", []string{"offline_access"}, nil, nil},
		{"offline_access grants nothing", []string{"a", "offline_access"}, granted{"offline_access"}, []string{"a"}},
	}
	var c Checker
	for _, tt := range tests {
		n := newNeed(-1, im, tt.need)
		missing, ok := c.Check(n, tt.granted.each, nil)
		if ok != (tt.missing == nil) || !reflect.DeepEqual(missing, tt.missing) {
			t.Errorf("%s: Check(%q, granted %q) = %q, %v; want missing %q", tt.desc, tt.need, tt.granted, missing, ok, tt.missing)
		}
	}
}

// TestCheckAppends: missing scopes are appended to the slice passed in.
func TestCheckAppends(t *testing.T) {
	var c Checker
	buf := append(make([]string, 0, 8), "kept")
	missing, ok := c.Check(newNeed(-1, nil, []string{"a", "b"}), granted{"b"}.each, buf)
	if ok || !reflect.DeepEqual(missing, []string{"kept", "a"}) {
		t.Errorf("Check = %q, %v", missing, ok)
	}
}

// TestCheckStopsEarly: the iteration ends once every needed scope is covered.
func TestCheckStopsEarly(t *testing.T) {
	var c Checker
	yielded := 0
	var seq iter.Seq[[]byte] = func(yield func([]byte) bool) {
		for _, s := range []string{"a", "b", "c", "d"} {
			yielded++
			if !yield([]byte(s)) {
				return
			}
		}
	}
	if _, ok := c.Check(newNeed(-1, nil, []string{"b", "a"}), seq, nil); !ok || yielded != 2 {
		t.Errorf("ok %v after %d scopes, want true after 2", ok, yielded)
	}
}

// TestCheckManyScopes: needs of more than 64 scopes (the legacy union of many
// rules) use several words; the checker's scratch grows and shrinks.
func TestCheckManyScopes(t *testing.T) {
	im, err := CompileImplications(map[string][]string{"all": {"s0", "s64", "s129"}})
	if err != nil {
		t.Fatal(err)
	}
	var need []string
	for i := range 130 {
		need = append(need, fmt.Sprintf("s%d", i))
	}
	n := newNeed(-1, im, need)
	var all granted
	for i := 129; i >= 0; i-- {
		if i != 64 && i != 129 {
			all = append(all, need[i])
		}
	}
	var c Checker
	if missing, ok := c.Check(n, all.each, nil); ok || !reflect.DeepEqual(missing, []string{"s64", "s129"}) {
		t.Errorf("Check = %q, %v", missing, ok)
	}
	if missing, ok := c.Check(n, append(all, "all").each, nil); !ok || missing != nil {
		t.Errorf("Check with all = %q, %v", missing, ok)
	}
	if _, ok := c.Check(newNeed(-1, im, []string{"s1"}), granted{"s2"}.each, nil); ok {
		t.Error("small need after a large one: stale scratch")
	}
}

// TestCheckerReentry: a granted sequence that calls yield after being told to
// stop does not disturb the result.
func TestCheckerReentry(t *testing.T) {
	var c Checker
	rude := func(yield func([]byte) bool) {
		yield([]byte("a"))
		yield([]byte("b"))
		yield([]byte("c"))
	}
	missing, ok := c.Check(newNeed(-1, nil, []string{"a"}), rude, nil)
	if !ok || missing != nil {
		t.Errorf("Check = %q, %v", missing, ok)
	}
}
