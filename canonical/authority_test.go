package canonical

import "testing"

func TestNormalizeAuthority(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		// Already normal: returned as is.
		{"mcp.example.com", "mcp.example.com", true},
		{"mcp.example.com:8443", "mcp.example.com:8443", true},
		{"x:8080", "x:8080", true},
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"[::1]", "[::1]", true},
		{"[2001:db8::1]:8443", "[2001:db8::1]:8443", true},
		{"mcp_server:3000", "mcp_server:3000", true},

		// Normalised.
		{"MCP.Example.COM.", "mcp.example.com", true},
		{"MCP.Example.COM.:443", "mcp.example.com", true},
		{"x.:8443", "x:8443", true},
		{"x:443", "x", true},
		{"x:80", "x", true},
		{"x:0443", "x", true},
		{"x:08443", "x:8443", true},
		{"x:", "x", true},
		{"X:", "x", true},
		{"[::1]:443", "[::1]", true},
		{"[::1]:80", "[::1]", true},
		{"[::1]:", "[::1]", true},
		{"[0:0::1]", "[::1]", true},
		{"[2001:DB8::1]:8443", "[2001:db8::1]:8443", true},
		{"[2001:0db8:0000:0000:0000:0000:0000:0001]", "[2001:db8::1]", true},

		// Invalid.
		{"", "", false},
		{":443", "", false},
		{".", "", false},
		{"x..", "", false},
		{"..x", "", false},
		{"a..b", "", false},
		{"user@x", "", false},
		{"@x", "", false},
		{"x y", "", false},
		{" x", "", false},
		{"x\t", "", false},
		{"x/", "", false},
		{"x/mcp", "", false},
		{"x?a", "", false},
		{"x#", "", false},
		{"x\\y", "", false},
		{"bücher.example", "", false},
		{"x%2Ey", "", false},
		{"x:0", "", false},
		{"x:65536", "", false},
		{"x:-1", "", false},
		{"x:44a", "", false},
		{"x:443:443", "", false},
		{"x: 443", "", false},
		{"::1", "", false},
		{"[::1", "", false},
		{"[::1]x", "", false},
		{"[::1].", "", false},
		{"[]", "", false},
		{"[192.0.2.1]", "", false},
		{"[fe80::1%eth0]", "", false},
		{"[v1.x]", "", false},
		{"127.1", "", false},
		{"127.0.0.01", "", false},
		{"0x7f000001", "", false},
		{"example.123", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeAuthority(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeAuthority(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			continue
		}
		if ok {
			// Idempotent.
			if again, ok2 := NormalizeAuthority(got); again != got || !ok2 {
				t.Errorf("NormalizeAuthority(%q) = %q, %v; want %q, true", got, again, ok2, got)
			}
		}
	}
}

// TestNormalizeAuthorityResourceKey checks that the lookup key of a resource
// is its Authority(), so a request for it finds it.
func TestNormalizeAuthorityResourceKey(t *testing.T) {
	tests := []struct{ resource, request string }{
		{"https://mcp.example.com/mcp", "MCP.example.com:443"},
		{"https://mcp.example.com:8443/mcp", "mcp.example.com.:8443"},
		{"http://[::1]:3000", "[0::1]:3000"},
		{"http://localhost/mcp", "localhost:80"},
	}
	for _, tt := range tests {
		u, err := Parse(tt.resource)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.resource, err)
		}
		key, ok := NormalizeAuthority(u.Authority())
		if !ok || key != u.Authority() {
			t.Errorf("NormalizeAuthority(%q) = %q, %v; want the authority unchanged", u.Authority(), key, ok)
		}
		if got, ok := NormalizeAuthority(tt.request); !ok || got != key {
			t.Errorf("NormalizeAuthority(%q) = %q, %v; want %q", tt.request, got, ok, key)
		}
	}
}
