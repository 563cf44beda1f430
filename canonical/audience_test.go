package canonical

import "testing"

func TestAudienceMatcher(t *testing.T) {
	const exact, canon = 1, 2 // bits: matches in ModeExact, in ModeCanonical
	const both, none = exact | canon, 0
	tests := []struct {
		resource, aud string
		want          int
	}{
		// Same resource.
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp", both},
		{"https://mcp.example.com", "https://mcp.example.com", both},
		{"https://mcp.example.com:8443/mcp", "https://mcp.example.com:8443/mcp", both},
		{"https://[2001:db8::1]/mcp", "https://[2001:db8::1]/mcp", both},
		{"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp/", both},

		// Upper-case scheme and host accepted (RFC 3986 §6.2.2.1; MCP spec).
		{"https://mcp.example.com/mcp", "HTTPS://MCP.Example.COM/mcp", both},
		{"https://mcp.example.com/mcp", "hTTps://mcp.example.com/mcp", both},
		{"https://[2001:db8::1]/mcp", "https://[2001:DB8::1]/mcp", both},
		// ...but not an upper-case path.
		{"https://mcp.example.com/mcp", "https://mcp.example.com/MCP", none},

		// Another server.
		{"https://mcp.example.com/mcp", "https://other.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com.evil/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.co/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp2", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/other", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com:8443/mcp", none},
		{"https://mcp.example.com:8443/mcp", "https://mcp.example.com/mcp", none},
		{"https://mcp.example.com:8443/mcp", "https://mcp.example.com:8443:443/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com./mcp", none},

		// Trailing slash: never ignored.
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp/", none},
		{"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp", none},
		// Root: "https://x/" only in canonical mode.
		{"https://mcp.example.com", "https://mcp.example.com/", canon},
		{"https://mcp.example.com", "https://mcp.example.com//", none},

		// Scheme: never dropped or swapped.
		{"https://mcp.example.com/mcp", "http://mcp.example.com/mcp", none},
		{"http://localhost:3000/mcp", "https://localhost:3000/mcp", none},
		{"https://mcp.example.com/mcp", "mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "//mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https:/mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https:mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https//mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "", none},
		{"https://mcp.example.com/mcp", "https://", none},

		// Default port: only in canonical mode, only the scheme's own default.
		{"https://mcp.example.com/mcp", "https://mcp.example.com:443/mcp", canon},
		{"https://mcp.example.com", "https://mcp.example.com:443", canon},
		{"https://mcp.example.com", "https://mcp.example.com:443/", canon},
		{"http://mcp.example.com/mcp", "http://mcp.example.com:80/mcp", canon},
		{"https://mcp.example.com/mcp", "https://MCP.example.com:443/mcp", canon},
		{"https://[::1]/mcp", "https://[::1]:443/mcp", canon},
		{"https://mcp.example.com/mcp", "https://mcp.example.com:80/mcp", none},
		{"http://mcp.example.com/mcp", "http://mcp.example.com:443/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com:0443/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com:/mcp", none},
		{"https://mcp.example.com:8443/mcp", "https://mcp.example.com:08443/mcp", none},

		// Extra path segment.
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp/x", none},
		{"https://mcp.example.com", "https://mcp.example.com/mcp", none},
		{"https://mcp.example.com/server/mcp", "https://mcp.example.com/server", none},

		// Dot segments: never match, even where they would resolve to the resource.
		{"https://mcp.example.com/mcp", "https://mcp.example.com/./mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/x/../mcp", none},
		{"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp/.", none},
		{"https://mcp.example.com", "https://mcp.example.com/..", none},
		{"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp/..", none},

		// Percent-encoding: any "%" never matches.
		{"https://mcp.example.com/mcp", "https://mcp.example.com/%6Dcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp%2F", none},
		{"https://mcp.example.com/mcp", "https://mcp%2Eexample.com/mcp", none},
		{"https://mcp.example.com/a%2Fb", "https://mcp.example.com/a%2Fb", none},

		// Userinfo, fragment, query.
		{"https://mcp.example.com/mcp", "https://user@mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https://@mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https://evil.example@mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp#", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp#frag", none},
		{"https://mcp.example.com", "https://mcp.example.com#", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp?", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp?a=b", none},

		// Other bytes.
		{"https://mcp.example.com/mcp", "https://mcp.example.com\\mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp ", none},
		{"https://mcp.example.com/mcp", " https://mcp.example.com/mcp", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp\x00", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp\n", none},
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp\x7f", none},
		{"https://mcp.example.com/mcp", "https://mcp.exampl\xc3\xa9.com/mcp", none},
		// Kelvin sign (U+212A) folds to "k" under Unicode rules, never here.
		{"https://k.example/mcp", "https://\u212a.example/mcp", none},
	}
	for _, tt := range tests {
		u, err := Parse(tt.resource)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.resource, err)
		}
		for _, mode := range []Mode{ModeExact, ModeCanonical} {
			bit := exact
			if mode == ModeCanonical {
				bit = canon
			}
			want := tt.want&bit != 0
			if got := NewAudienceMatcher(u, mode).Match([]byte(tt.aud)); got != want {
				t.Errorf("%v matcher for %q: Match(%q) = %v, want %v", mode, tt.resource, tt.aud, got, want)
			}
		}
	}
}

func TestAudienceMatcherZero(t *testing.T) {
	var nilMatcher *AudienceMatcher
	for _, m := range []*AudienceMatcher{nilMatcher, {}, NewAudienceMatcher(URI{}, ModeExact), NewAudienceMatcher(URI{}, ModeCanonical)} {
		for _, aud := range []string{"", "://", ":///", "https://x"} {
			if m.Match([]byte(aud)) {
				t.Errorf("%+v.Match(%q) = true, want false", m, aud)
			}
		}
	}
}
