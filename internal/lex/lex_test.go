package lex

import (
	"strings"
	"testing"
)

// Reference predicates, written straight from each grammar, independent of
// the table.
var reference = map[Class]func(c byte) bool{
	Alpha:  func(c byte) bool { return c >= 0x41 && c <= 0x5A || c >= 0x61 && c <= 0x7A },
	Digit:  func(c byte) bool { return c >= 0x30 && c <= 0x39 },
	HexDig: func(c byte) bool { return strings.IndexByte("0123456789ABCDEFabcdef", c) >= 0 },
	TChar: func(c byte) bool {
		return strings.IndexByte("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", c) >= 0
	},
	B64TokenChar: func(c byte) bool {
		return strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/", c) >= 0
	},
	ScopeChar: func(c byte) bool { return c == 0x21 || c >= 0x23 && c <= 0x5B || c >= 0x5D && c <= 0x7E },
	Unreserved: func(c byte) bool {
		return strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", c) >= 0
	},
	LowerAlnum: func(c byte) bool { return strings.IndexByte("abcdefghijklmnopqrstuvwxyz0123456789", c) >= 0 },
	VChar:      func(c byte) bool { return c >= 0x21 && c <= 0x7E },
	Base64URL: func(c byte) bool {
		return strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", c) >= 0
	},
	PathChar: func(c byte) bool { // unreserved / sub-delims / ":" / "/"
		return strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"+"!$&'()*+,;="+":/", c) >= 0
	},
}

func TestClassesMatchTheirGrammar(t *testing.T) {
	for k, ref := range reference {
		for b := 0; b < 256; b++ {
			if got, want := Is(byte(b), k), ref(byte(b)); got != want {
				t.Errorf("class %#x byte %#02x: table %v, grammar %v", k, b, got, want)
			}
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		fn   func(string) bool
		name string
		in   string
		want bool
	}{
		{IsToken, "token", "x-mcp-subject", true},
		{IsToken, "token", "", false},
		{IsToken, "token", "a b", false},
		{IsToken, "token", "a:b", false},
		{IsScopeToken, "scope", "mcp:tools", true},
		{IsScopeToken, "scope", `a"b`, false},
		{IsScopeToken, "scope", `a\b`, false},
		{IsScopeToken, "scope", "a b", false},
		{IsScopeToken, "scope", "", false},
		{IsScopeToken, "scope", "a", true},
		{IsScopeToken, "scope", "files:read/write", true},
		{IsScopeToken, "scope", "!", true},
		{IsScopeToken, "scope", "#$%&'()*+,-./:;<=>?@[]^_`{|}~", true},
		{IsScopeToken, "scope", "a\tb", false},
		{IsScopeToken, "scope", "a\x7f", false},
		{IsScopeToken, "scope", "é", false},
		{IsB64Token, "b64token", "abc.def-_~+/", true},
		{IsB64Token, "b64token", "abc==", true},
		{IsB64Token, "b64token", "==", false},
		{IsB64Token, "b64token", "a=b", false},
		{IsB64Token, "b64token", "", false},
		{IsB64Token, "b64token", "a b", false},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("%s(%q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestASCII(t *testing.T) {
	for b := 0; b < 256; b++ {
		v, ok := Unhex(byte(b))
		if ok != Is(byte(b), HexDig) {
			t.Errorf("Unhex(%#02x) ok = %v", b, ok)
		}
		if ok && strings.ToUpper(string("0123456789abcdef"[v])) != strings.ToUpper(string(rune(b))) {
			t.Errorf("Unhex(%q) = %d", rune(b), v)
		}
	}
	if !EqualFold("Bearer", "bearer") || !EqualFold([]byte("AT+JWT"), "at+jwt") || EqualFold("bearer", "bearex") || EqualFold("a", "ab") {
		t.Error("EqualFold")
	}
	if EqualFold("\xc4", "\xe4") { // non-ASCII compares exactly
		t.Error("EqualFold folded a non-ASCII byte")
	}
	if Lower("MCP.Example.COM") != "mcp.example.com" || Lower("caf\xc3\x89") != "caf\xc3\x89" {
		t.Error("Lower")
	}
	for _, tt := range []struct {
		in   string
		repl byte
		want string
	}{
		{"x-mcp-subject", '-', "x-mcp-subject"},
		{"X_MCP.Subject", '-', "x-mcp-subject"},
		{"x-mcp-sübject", '-', "x-mcp-s--bject"},
		{"mcp.example.com/Tools/", '_', "mcp_example_com_tools_"},
		{"", '-', ""},
	} {
		if got := string(AppendFold([]byte("p:"), tt.in, tt.repl)); got != "p:"+tt.want {
			t.Errorf("AppendFold(%q, %q) = %q, want %q", tt.in, tt.repl, got, "p:"+tt.want)
		}
	}
	for _, in := range []string{"X_MCP.Subject", "Mcp.Name", "mcp~method", "x-mcp-sübject"} {
		if got, want := string(AppendHeaderKey([]byte("p:"), in)), string(AppendFold([]byte("p:"), in, '-')); got != want {
			t.Errorf("AppendHeaderKey(%q) = %q, want %q", in, got, want)
		}
	}
	buf := make([]byte, 0, 32)
	if n := testing.AllocsPerRun(100, func() { buf = AppendFold(buf[:0], "X_MCP.Subject", '-') }); n != 0 {
		t.Errorf("AppendFold: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = AppendHeaderKey(buf[:0], "X_MCP.Subject") }); n != 0 {
		t.Errorf("AppendHeaderKey: %v allocations", n)
	}
	s := "already.lower"
	if n := testing.AllocsPerRun(100, func() { _ = Lower(s); _ = EqualFold(s, "already.lower") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
