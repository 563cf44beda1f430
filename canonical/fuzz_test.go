package canonical

import (
	"strings"
	"testing"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/.

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if u != (URI{}) {
				t.Fatalf("Parse(%q) returned %+v with error %v", s, u, err)
			}
			return
		}
		c := u.String()
		u2, err := Parse(c)
		if err != nil || u2 != u {
			t.Fatalf("Parse(%q) = %+v; Parse(%q) = %+v, %v: not idempotent", s, u, c, u2, err)
		}
		if got, err := Canonicalize(s); err != nil || got != c {
			t.Fatalf("Canonicalize(%q) = %q, %v; want %q", s, got, err, c)
		}
		if strings.ContainsAny(c, "@#?\\ ") {
			t.Fatalf("Parse(%q).String() = %q carries userinfo, a fragment, a query or a bad byte", s, c)
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			t.Fatalf("Parse(%q).Scheme = %q", s, u.Scheme)
		}
		if u.Path == "/" || (u.Path != "" && u.Path[0] != '/') {
			t.Fatalf("Parse(%q).Path = %q", s, u.Path)
		}
		if key, ok := NormalizeAuthority(u.Authority()); !ok || (u.Port != "443" && u.Port != "80" && key != u.Authority()) {
			t.Fatalf("NormalizeAuthority(%q) = %q, %v", u.Authority(), key, ok)
		}
		// A canonical resource matches itself in both modes, unless it holds a
		// '%', which no audience may carry (the configuration refuses such resources).
		if !strings.Contains(c, "%") {
			for _, mode := range []Mode{ModeExact, ModeCanonical} {
				if !NewAudienceMatcher(u, mode).Match([]byte(c)) {
					t.Fatalf("%v matcher for %q does not match its own String()", mode, c)
				}
			}
		}
	})
}

func FuzzNormalizeAuthority(f *testing.F) {
	f.Fuzz(func(t *testing.T, a string) {
		norm, ok := NormalizeAuthority(a)
		if !ok {
			if norm != "" {
				t.Fatalf("NormalizeAuthority(%q) = %q, false; want an empty string", a, norm)
			}
			return
		}
		again, ok2 := NormalizeAuthority(norm)
		if !ok2 || again != norm {
			t.Fatalf("NormalizeAuthority(%q) = %q; NormalizeAuthority(%q) = %q, %v: not idempotent", a, norm, norm, again, ok2)
		}
		if norm == "" || strings.ContainsAny(norm, "@/?#\\ %ABCDEFGHIJKLMNOPQRSTUVWXYZ") ||
			strings.HasSuffix(norm, ":443") || strings.HasSuffix(norm, ":80") || strings.HasSuffix(norm, ":") {
			t.Fatalf("NormalizeAuthority(%q) = %q, not normal", a, norm)
		}
		for i := 0; i < len(norm); i++ {
			if norm[i] <= ' ' || norm[i] >= 0x7f {
				t.Fatalf("NormalizeAuthority(%q) = %q holds a control, space or non-ASCII byte", a, norm)
			}
		}
	})
}

// FuzzRequestAuthority checks the two request-authority forms of
// authority_from: both idempotent, lower case, printable ASCII; the exact form
// equals its input but for ASCII case; the host form has no port and no
// trailing dot, and agrees with the exact form's host whenever that has one.
func FuzzRequestAuthority(f *testing.F) {
	for _, s := range []string{"mcp-a.example.com", "MCP-A.example.com:443", "mcp-a.example.com.", "mcp-a.example.com..",
		"kong:8000", "[::1]:8080", "[2001:DB8::1]", "a:0", "x:", "user@h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		exact, okE := ExactAuthority(a)
		if okE {
			if !strings.EqualFold(exact, a) || strings.ToLower(exact) != exact {
				t.Fatalf("ExactAuthority(%q) = %q: not the input lower-cased", a, exact)
			}
			if again, ok := ExactAuthority(exact); !ok || again != exact {
				t.Fatalf("ExactAuthority not idempotent on %q", exact)
			}
		}
		host, okH := HostOnly(a)
		if !okH {
			if okE {
				t.Fatalf("ExactAuthority(%q) ok but HostOnly refuses it", a)
			}
			return
		}
		if again, ok := HostOnly(host); !ok || again != host {
			t.Fatalf("HostOnly not idempotent: %q → %q → %q", a, host, again)
		}
		if host == "" || strings.HasSuffix(host, ".") || strings.ToLower(host) != host ||
			(host[0] != '[' && strings.Contains(host, ":")) {
			t.Fatalf("HostOnly(%q) = %q, not a bare lower-case host", a, host)
		}
		for i := 0; i < len(host); i++ {
			if host[i] <= ' ' || host[i] >= 0x7f {
				t.Fatalf("HostOnly(%q) = %q holds a control, space or non-ASCII byte", a, host)
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, resource string, aud []byte) {
		u, err := Parse(resource)
		if err != nil {
			u = URI{Scheme: "https", Host: "mcp.example.com", Path: "/mcp"}
		}
		exact := NewAudienceMatcher(u, ModeExact).Match(aud)
		canon := NewAudienceMatcher(u, ModeCanonical).Match(aud)
		if exact && !canon {
			t.Fatalf("resource %q: %q matches in exact mode but not in canonical mode", u, aud)
		}
		if !canon {
			return
		}
		s := string(aud)
		if strings.ContainsAny(s, "%#@?\\") {
			t.Fatalf("resource %q: %q matches but holds '%%', '#', '@', '?' or '\\'", u, aud)
		}
		// A match is a URI that canonicalises to the resource.
		if got, err := Canonicalize(s); err != nil || got != u.String() {
			t.Fatalf("resource %q: %q matches but canonicalises to %q, %v", u, aud, got, err)
		}
		if exact && !strings.EqualFold(s, u.String()) {
			t.Fatalf("resource %q: %q matches in exact mode but differs beyond case", u, aud)
		}
	})
}
