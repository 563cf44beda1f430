package policy

import (
	"testing"

	"github.com/audguard/audguard/canonical"
)

// TestAuthorityMemo: the memo answers exactly what canonical answers, for
// repeated, alternating and mode-switching inputs (a stale answer would
// route a request to another resource).
func TestAuthorityMemo(t *testing.T) {
	var m authorityMemo
	seq := []struct {
		in    string
		exact bool
	}{
		{"MCP.example.com:443", false}, {"MCP.example.com:443", false}, {"MCP.example.com:443", true},
		{"mcp.example.com.", false}, {"mcp.example.com.", true}, {"bad host", false}, {"bad host", false},
		{"[::1]:8443", true}, {"[::1]:8443", false}, {"", false}, {"", true}, {"a.example", false},
	}
	for i, s := range seq {
		got, ok := m.of(s.in, s.exact)
		var want string
		var wantOK bool
		if s.exact {
			want, wantOK = canonical.ExactAuthority(s.in)
		} else {
			want, wantOK = canonical.HostOnly(s.in)
		}
		if got != want || ok != wantOK {
			t.Errorf("%d: of(%q, exact=%v) = %q, %v; want %q, %v", i, s.in, s.exact, got, ok, want, wantOK)
		}
	}
}
