package canonical

import "testing"

// The two request-authority forms of docs/request-flow.md#6-resource (authority_from).
func TestExactAuthorityAndHostOnly(t *testing.T) {
	tests := []struct {
		in      string
		exact   string
		exactOK bool
		host    string
		hostOK  bool
	}{
		{"mcp-a.example.com", "mcp-a.example.com", true, "mcp-a.example.com", true},
		{"MCP-A.Example.COM", "mcp-a.example.com", true, "mcp-a.example.com", true},
		// Envoy delivers what the router matched: nothing is stripped.
		{"mcp-a.example.com:443", "mcp-a.example.com:443", true, "mcp-a.example.com", true},
		{"mcp-a.example.com:80", "mcp-a.example.com:80", true, "mcp-a.example.com", true},
		{"mcp-a.example.com:0443", "mcp-a.example.com:0443", true, "mcp-a.example.com", true},
		{"mcp-a.example.com:8443", "mcp-a.example.com:8443", true, "mcp-a.example.com", true},
		{"kong:8000", "kong:8000", true, "kong", true},
		// A trailing dot is no valid authority for the exact form; nginx's
		// $host drops one dot, never two.
		{"mcp-a.example.com.", "", false, "mcp-a.example.com", true},
		{"mcp-a.example.com.:443", "", false, "mcp-a.example.com", true},
		{"mcp-a.example.com..", "", false, "", false},
		{"mcp-a.example.com:", "", false, "mcp-a.example.com", true},
		{"[::1]:8080", "[::1]:8080", true, "[::1]", true},
		{"[2001:DB8::1]", "[2001:db8::1]", true, "[2001:db8::1]", true},
		{"", "", false, "", false},
		{"a b", "", false, "", false},
		{"user@a", "", false, "", false},
		{"a:0", "", false, "", false},
		{"a:65536", "", false, "", false},
		{"a/b", "", false, "", false},
	}
	for _, tt := range tests {
		got, ok := ExactAuthority(tt.in)
		if got != tt.exact || ok != tt.exactOK {
			t.Errorf("ExactAuthority(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.exact, tt.exactOK)
		}
		got, ok = HostOnly(tt.in)
		if got != tt.host || ok != tt.hostOK {
			t.Errorf("HostOnly(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.host, tt.hostOK)
		}
	}
}

func TestExactAuthorityNoAllocWhenLower(t *testing.T) {
	for _, in := range []string{"mcp-a.example.com", "mcp-a.example.com:8443"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = ExactAuthority(in); _, _ = HostOnly(in) }); n != 0 {
			t.Errorf("%q: %v allocations, want 0", in, n)
		}
	}
}
