package canonical

import "testing"

func TestMatchAllocs(t *testing.T) {
	u, err := Parse("https://mcp.example.com/mcp")
	if err != nil {
		t.Fatal(err)
	}
	auds := [][]byte{
		[]byte("https://mcp.example.com/mcp"),
		[]byte("HTTPS://MCP.EXAMPLE.COM:443/mcp"),
		[]byte("https://mcp.example.com/./mcp"),
		[]byte("https://other.example.com/mcp"),
		[]byte("https://user@mcp.example.com/mcp%2F?#"),
	}
	for _, mode := range []Mode{ModeExact, ModeCanonical} {
		m := NewAudienceMatcher(u, mode)
		for _, aud := range auds {
			if n := testing.AllocsPerRun(100, func() { m.Match(aud) }); n != 0 {
				t.Errorf("%v: Match(%q) allocates %v times, want 0", mode, aud, n)
			}
		}
	}
}

func TestNormalizeAuthorityAllocs(t *testing.T) {
	for _, a := range []string{
		"mcp.example.com",
		"mcp.example.com:8443",
		"127.0.0.1:8080",
		"[::1]",
		"[2001:db8::1]:8443",
		"x:65535",
	} {
		if n := testing.AllocsPerRun(100, func() {
			if got, ok := NormalizeAuthority(a); !ok || got != a {
				t.Fatalf("NormalizeAuthority(%q) = %q, %v", a, got, ok)
			}
		}); n != 0 {
			t.Errorf("NormalizeAuthority(%q) allocates %v times, want 0", a, n)
		}
	}
	// Rejected values need not allocate either.
	for _, a := range []string{"user@x", "x:0", "[fe80::1%eth0]", "a..b"} {
		if n := testing.AllocsPerRun(100, func() { NormalizeAuthority(a) }); n != 0 {
			t.Errorf("NormalizeAuthority(%q) allocates %v times, want 0", a, n)
		}
	}
}
