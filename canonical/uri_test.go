package canonical

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // canonical String(); "" when an error is expected
		wantErr  string // substring of the error
	}{
		// MCP authorization spec, "Canonical Server URI": valid canonical forms.
		{"mcp path", "https://mcp.example.com/mcp", "https://mcp.example.com/mcp", ""},
		{"mcp root", "https://mcp.example.com", "https://mcp.example.com", ""},
		{"mcp port", "https://mcp.example.com:8443", "https://mcp.example.com:8443", ""},
		{"mcp deep path", "https://mcp.example.com/server/mcp", "https://mcp.example.com/server/mcp", ""},
		{"mcp no scheme", "mcp.example.com", "", "not an absolute URI"},
		{"mcp fragment", "https://mcp.example.com#fragment", "", "has a fragment"},

		// RFC 3986 §6.2.2 example, with an http(s) scheme.
		{"rfc 6.2.2", "HTTPS://a/./b/../b/%63/%7bfoo%7d", "https://a/b/c/%7Bfoo%7D", ""},
		// RFC 3986 §6.2.2.1.
		{"rfc 6.2.2.1", "HTTP://www.EXAMPLE.com/", "http://www.example.com", ""},
		// RFC 3986 §6.2.3: all four are equivalent; docs/configuration.md writes the root without "/".
		{"rfc 6.2.3 a", "http://example.com", "http://example.com", ""},
		{"rfc 6.2.3 b", "http://example.com/", "http://example.com", ""},
		{"rfc 6.2.3 c", "http://example.com:/", "http://example.com", ""},
		{"rfc 6.2.3 d", "http://example.com:80/", "http://example.com", ""},

		// Case.
		{"upper scheme", "HTTPS://mcp.example.com/mcp", "https://mcp.example.com/mcp", ""},
		{"mixed scheme", "hTtP://localhost", "http://localhost", ""},
		{"upper host", "https://MCP.Example.COM/mcp", "https://mcp.example.com/mcp", ""},
		{"path case kept", "https://x/MCP", "https://x/MCP", ""},

		// Ports.
		{"https 443", "https://x:443/mcp", "https://x/mcp", ""},
		{"http 80", "http://x:80/mcp", "http://x/mcp", ""},
		{"https 0443", "https://x:0443/mcp", "https://x/mcp", ""},
		{"https 80 kept", "https://x:80/mcp", "https://x:80/mcp", ""},
		{"http 443 kept", "http://x:443", "http://x:443", ""},
		{"leading zeros", "https://x:008443", "https://x:8443", ""},
		{"empty port", "https://x:/mcp", "https://x/mcp", ""},
		{"max port", "https://x:65535", "https://x:65535", ""},
		{"port 0", "https://x:0", "", "invalid port"},
		{"port 00000", "https://x:00000", "", "invalid port"},
		{"port too big", "https://x:65536", "", "invalid port"},
		{"port huge", "https://x:99999999999999999999999", "", "invalid port"},
		{"port letters", "https://x:https", "", "invalid port"},
		{"port sign", "https://x:+443", "", "invalid port"},
		{"two ports", "https://x:443:443", "", "invalid port"},

		// Dot segments (RFC 3986 §5.2.4, §6.2.2.3).
		{"dot", "https://x/./mcp", "https://x/mcp", ""},
		{"dotdot", "https://x/a/../mcp", "https://x/mcp", ""},
		{"dotdot above root", "https://x/../../mcp", "https://x/mcp", ""},
		{"dotdot to root", "https://x/mcp/..", "https://x", ""},
		{"trailing dot", "https://x/mcp/.", "https://x/mcp/", ""},
		{"encoded dots", "https://x/a/%2E%2e/mcp", "https://x/mcp", ""},
		{"dots in names kept", "https://x/a.b/..c/.d", "https://x/a.b/..c/.d", ""},

		// Percent-encoding (RFC 3986 §6.2.2.2).
		{"tilde decoded", "https://x/%7euser", "https://x/~user", ""},
		{"unreserved decoded", "https://x/%41%7A%30%2D%5F", "https://x/Az0-_", ""},
		{"slash kept upper", "https://x/a%2fb", "https://x/a%2Fb", ""},
		{"reserved kept", "https://x/%3a%40%25", "https://x/%3A%40%25", ""},
		{"bad hex", "https://x/%zz", "", "invalid percent-encoding \"%zz\""},
		{"short escape", "https://x/a%2", "", "invalid percent-encoding"},
		{"lone percent", "https://x/%", "", "invalid percent-encoding"},
		{"percent in host", "https://x%2Ey/", "", "host with a character"},

		// Userinfo, query, fragment.
		{"userinfo", "https://user@x/mcp", "", "has userinfo"},
		{"userinfo password", "https://u:p@x/mcp", "", "has userinfo"},
		{"empty userinfo", "https://@x/mcp", "", "has userinfo"},
		{"at in path", "https://x/@org/mcp", "", "\"@\" in its path"},
		{"query", "https://x/mcp?a=b", "", "has a query; resource URIs carry none (RFC 8707 §2)"},
		{"empty query", "https://x/mcp?", "", "has a query"},
		{"empty fragment", "https://x/mcp#", "", "has a fragment"},

		// Scheme and authority.
		{"empty", "", "", "is empty"},
		{"ftp", "ftp://x/mcp", "", "scheme \"ftp\" is not https or http"},
		{"wss", "wss://x/mcp", "", "is not https or http"},
		{"host port only", "mcp.example.com:443", "", "is not https or http"},
		{"relative", "/mcp", "", "not an absolute URI"},
		{"scheme relative", "//x/mcp", "", "not an absolute URI"},
		{"no authority", "https:mcp", "", "has no authority"},
		{"one slash", "https:/x/mcp", "", "has no authority"},
		{"empty host", "https:///mcp", "", "empty host"},
		{"empty host port", "https://:443/mcp", "", "empty host"},
		{"bad scheme char", "ht_tp://x", "", "not an absolute URI"},

		// Hosts.
		{"host trailing dot", "https://x.example./mcp", "", "ending with \".\""},
		{"host empty label", "https://a..b/", "", "empty label"},
		{"host leading dot", "https://.a/", "", "empty label"},
		{"host underscore", "https://mcp_server:8080/mcp", "https://mcp_server:8080/mcp", ""},
		{"host sub-delim", "https://a!b/", "", "host with a character"},
		{"host long label", "https://" + strings.Repeat("a", 64) + "/", "", "label longer than 63"},
		{"host too long", "https://" + strings.Repeat("a.", 127) + "aa/", "", "longer than 253"},
		{"ipv4", "http://127.0.0.1:8080/mcp", "http://127.0.0.1:8080/mcp", ""},
		{"ipv4 leading zero", "http://127.0.0.01/", "", "not a dotted-decimal IPv4"},
		{"ipv4 short", "http://127.1/", "", "not a dotted-decimal IPv4"},
		{"ipv4 hex", "http://0x7f000001/", "", "not a dotted-decimal IPv4"},
		{"ipv4 out of range", "http://1.2.3.256/", "", "not a dotted-decimal IPv4"},
		{"numeric tld", "https://example.123/", "", "not a dotted-decimal IPv4"},
		{"digits inside name", "https://123.example/", "https://123.example", ""},

		// IPv6 (RFC 5952 form).
		{"ipv6", "https://[2001:db8::1]/mcp", "https://[2001:db8::1]/mcp", ""},
		{"ipv6 upper", "https://[2001:DB8::1]/mcp", "https://[2001:db8::1]/mcp", ""},
		{"ipv6 long form", "https://[2001:0db8:0:0:0:0:0:1]:8443", "https://[2001:db8::1]:8443", ""},
		{"ipv6 loopback 443", "https://[0:0::1]:443", "https://[::1]", ""},
		{"ipv6 mapped", "https://[::FFFF:192.0.2.1]", "https://[::ffff:192.0.2.1]", ""},
		{"ipv6 zone", "https://[fe80::1%25eth0]/", "", "zone"},
		{"ipv6 future", "https://[v1.abc]/", "", "IPvFuture"},
		{"ipv6 bad", "https://[2001:db8::g]/", "", "invalid IPv6 literal"},
		{"ipv4 in brackets", "https://[192.0.2.1]/", "", "invalid IPv6 literal"},
		{"ipv6 unclosed", "https://[::1/mcp", "", "closing"},
		{"ipv6 junk after", "https://[::1]x/", "", "not a port"},
		{"ipv6 unbracketed", "https://::1/", "", "empty host"},

		// Characters.
		{"space", "https://x/m cp", "", "control character or space"},
		{"tab", "https://x/mcp\t", "", "control character or space"},
		{"nul", "https://x/\x00", "", "control character or space"},
		{"del", "https://x/\x7f", "", "control character or space"},
		{"non-ascii host", "https://bücher.example/", "", "non-ASCII"},
		{"non-ascii path", "https://x/ü", "", "non-ASCII"},
		{"backslash", "https://x\\y/", "", "backslash"},
		{"backslash path", "https://x/a\\b", "", "backslash"},
		{"brace in path", "https://x/{id}", "", "must be percent-encoded"},
		{"bracket in path", "https://x/a[1]", "", "must be percent-encoded"},
		{"quote in path", "https://x/a\"b", "", "must be percent-encoded"},
		{"sub-delims in path", "https://x/a;b=c,d:e!$&'()*+", "https://x/a;b=c,d:e!$&'()*+", ""},

		// Trailing slashes.
		{"non-root trailing slash kept", "https://x/mcp/", "https://x/mcp/", ""},
		{"double slash kept", "https://x//", "https://x//", ""},
		{"empty segments kept", "https://x/a//b", "https://x/a//b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %q, want error containing %q", tt.in, u.String(), tt.wantErr)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", tt.in, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "resource ") {
					t.Errorf("Parse(%q) error = %q, want the prefix `resource \"…\": `", tt.in, err)
				}
				if u != (URI{}) {
					t.Errorf("Parse(%q) returned %+v with an error", tt.in, u)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			got, err := Canonicalize(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Canonicalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			// Canonical output re-parses to itself.
			if u2, err := Parse(u.String()); err != nil || u2 != u {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", u.String(), u2, err, u)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		in   string
		want URI
	}{
		{"https://mcp.example.com/mcp", URI{"https", "mcp.example.com", "", "/mcp"}},
		{"HTTPS://MCP.example.com:443", URI{"https", "mcp.example.com", "", ""}},
		{"https://mcp.example.com:08443/a/", URI{"https", "mcp.example.com", "8443", "/a/"}},
		{"http://[::1]:80/", URI{"http", "[::1]", "", ""}},
		{"http://[::1]:8080", URI{"http", "[::1]", "8080", ""}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestURIMethods(t *testing.T) {
	tests := []struct {
		in                                            string
		authority, metadataPath, metadataURL, display string
	}{
		{"https://mcp.example.com/mcp", "mcp.example.com",
			"/.well-known/oauth-protected-resource/mcp",
			"https://mcp.example.com/.well-known/oauth-protected-resource/mcp", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com", "mcp.example.com",
			"/.well-known/oauth-protected-resource",
			"https://mcp.example.com/.well-known/oauth-protected-resource", "https://mcp.example.com"},
		{"https://mcp.example.com:8443/server/mcp/", "mcp.example.com:8443",
			"/.well-known/oauth-protected-resource/server/mcp/",
			"https://mcp.example.com:8443/.well-known/oauth-protected-resource/server/mcp/",
			"https://mcp.example.com:8443/server/mcp/"},
		{"http://[::1]:3000/mcp", "[::1]:3000",
			"/.well-known/oauth-protected-resource/mcp",
			"http://[::1]:3000/.well-known/oauth-protected-resource/mcp", "http://[::1]:3000/mcp"},
	}
	for _, tt := range tests {
		u, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := u.Authority(); got != tt.authority {
			t.Errorf("%q.Authority() = %q, want %q", tt.in, got, tt.authority)
		}
		if got := u.MetadataPath(); got != tt.metadataPath {
			t.Errorf("%q.MetadataPath() = %q, want %q", tt.in, got, tt.metadataPath)
		}
		if got := u.MetadataURL(); got != tt.metadataURL {
			t.Errorf("%q.MetadataURL() = %q, want %q", tt.in, got, tt.metadataURL)
		}
		if got := u.String(); got != tt.display {
			t.Errorf("%q.String() = %q, want %q", tt.in, got, tt.display)
		}
		if got, ok := NormalizeAuthority(u.Authority()); !ok || got != tt.authority {
			t.Errorf("NormalizeAuthority(%q) = %q, %v; want %q", u.Authority(), got, ok, tt.authority)
		}
	}
}

func TestErrorTruncatesInput(t *testing.T) {
	_, err := Parse("https://x/" + strings.Repeat("a", 1000) + "?q")
	if err == nil {
		t.Fatal("want an error")
	}
	if len(err.Error()) > 400 {
		t.Errorf("error message is %d bytes, want the input truncated", len(err.Error()))
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		in   string
		want []string // substrings, one per expected warning, in order
	}{
		{"https://mcp.example.com/mcp", nil},
		{"https://mcp.example.com", nil},
		{"https://mcp.example.com/", nil}, // root: no trailing slash after canonicalisation
		{"https://mcp.example.com/mcp/", []string{"ends with \"/\""}},
		{"https://mcp.example.com//", []string{"ends with \"/\""}},
		{"http://mcp.example.com/mcp", []string{"plain http"}},
		{"http://mcp.example.com/mcp/", []string{"ends with \"/\"", "plain http"}},
		{"http://10.0.0.1/mcp", []string{"plain http"}},
		{"http://localhost.example/mcp", []string{"plain http"}},
		{"http://[::2]/mcp", []string{"plain http"}},
		{"http://[::ffff:127.0.0.1]/mcp", []string{"plain http"}},
		{"http://localhost:3000/mcp", nil},
		{"http://LOCALHOST/mcp", nil},
		{"http://127.0.0.1:8080/mcp", nil},
		{"http://127.255.1.2/mcp", nil},
		{"http://[::1]:8080/mcp", nil},
		{"http://[0::1]/mcp", nil},
	}
	for _, tt := range tests {
		u, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		got := Warnings(u)
		if len(got) != len(tt.want) {
			t.Errorf("Warnings(%q) = %q, want %d warning(s)", tt.in, got, len(tt.want))
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tt.want[i]) || !strings.HasSuffix(got[i], ".") {
				t.Errorf("Warnings(%q)[%d] = %q, want a sentence containing %q", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

// TestRemoveDotSegments uses the examples of RFC 3986 §5.2.4 and §5.4.
func TestRemoveDotSegments(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/a/b/c/./../../g", "/a/g"},
		{"mid/content=5/../6", "mid/6"},
		{"/b/c/g", "/b/c/g"},
		{"/b/c/./g", "/b/c/g"},
		{"/b/c/../g", "/b/g"},
		{"/b/c/../../g", "/g"},
		{"/b/c/../../../g", "/g"},
		{"/b/c/.", "/b/c/"},
		{"/b/c/..", "/b/"},
		{"/b/c/g.", "/b/c/g."},
		{"/b/c/.g", "/b/c/.g"},
		{"/b/c/g..", "/b/c/g.."},
		{"/b/c/..g", "/b/c/..g"},
		{"/b/c/./../g", "/b/g"},
		{"/b/c/g/./h", "/b/c/g/h"},
		{"/b/c/g/../h", "/b/c/h"},
		{"/b/c/g;x=1/./y", "/b/c/g;x=1/y"},
		{"/b/c/g;x=1/../y", "/b/c/y"},
		{"", ""},
		{"/", "/"},
		{".", ""},
		{"..", ""},
		{"../a", "a"},
		{"./a", "a"},
		{"/..", "/"},
		{"/.", "/"},
		{"//..", "/"},
	}
	for _, tt := range tests {
		if got := removeDotSegments(tt.in); got != tt.want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		ok   bool
	}{
		{"exact", ModeExact, true},
		{"canonical", ModeCanonical, true},
		{"", ModeExact, false},
		{"Exact", ModeExact, false},
		{"CANONICAL", ModeExact, false},
		{"strict", ModeExact, false},
	}
	for _, tt := range tests {
		got, ok := ParseMode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.in {
			t.Errorf("ParseMode(%q).String() = %q", tt.in, got.String())
		}
	}
	if got := Mode(7).String(); got != "Mode(7)" {
		t.Errorf("Mode(7).String() = %q", got)
	}
	var zero Mode
	if zero != ModeExact {
		t.Error("the zero Mode must be ModeExact (the default)")
	}
}

func TestParseErrorUnwrap(t *testing.T) {
	_, err := Canonicalize("https://x#")
	var pe *parseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Canonicalize error %v: want a *parseError wrapping ErrInvalid", err)
	}
	if want := `resource "https://x#": has a fragment; resource URIs carry none (RFC 8707 §2)`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}
