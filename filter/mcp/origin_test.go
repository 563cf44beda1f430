package mcp

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileOrigins(t *testing.T) {
	tests := []struct {
		entry string
		msg   string // "" when valid
	}{
		{"https://app.example.com", ""},
		{"http://localhost:3000", ""},
		{"https://app.example.com:8443", ""},
		{"http://app.example.com:443", ""}, // not http's default port
		{"https://app.example.com:80", ""},
		{"https://[::1]:8443", ""},
		{"http://127.0.0.1:6274", ""},
		{"vscode-webview://abc-123", ""},
		{"chrome-extension://abcdefgh", ""},
		{"https://xn--bcher-kva.example", ""},
		{"https://under_score.example", ""},
		{"null", ""},

		{"https://App.example.com", "not lower case"},
		{"HTTPS://app.example.com", "not lower case"},
		{"https://[::ABCD]", "not lower case"},
		{"https://app.example.com:443", "default port"},
		{"http://localhost:80", "default port"},
		{"https://app.example.com/", "trailing slash"},
		{"https://app.example.com/mcp", "path"},
		{"https://app.example.com?x", "query"},
		{"https://app.example.com#x", "fragment"},
		{"https://user@app.example.com", "not an origin"},
		{"app.example.com", "not an origin"},
		{"//app.example.com", "not an origin"},
		{"https://", "not an origin"},
		{"https://:443", "not an origin"},
		{"https:app.example.com", "not an origin"},
		{"1https://app.example.com", "not an origin"},
		{"ht_tp://app.example.com", "not an origin"},
		{"https://app.example.com:", "not an origin"},
		{"https://app.example.com:0", "not an origin"},
		{"https://app.example.com:08443", "not an origin"},
		{"https://app.example.com:65536", "not an origin"},
		{"https://app.example.com:123456", "not an origin"},
		{"https://app.example.com:84a3", "not an origin"},
		{"https://[::1", "not an origin"},
		{"https://[]", "not an origin"},
		{"https://[::g]", "not an origin"},
		{"https://app example.com", "not an origin"},
		{"https://bücher.example", "not an origin"},
		{"https://app.example.com ", "not an origin"},
		{"", "not an origin"},
		{"NULL", "not an origin"},
		{"null ", "not an origin"},
		{"*", "not an origin"},
		{"https://" + strings.Repeat("a", 250), "longer than 255"},
	}
	for _, tt := range tests {
		_, err := CompileOrigins([]string{"https://first.example", tt.entry})
		if tt.msg == "" {
			if err != nil {
				t.Errorf("CompileOrigins(%q): %v", tt.entry, err)
			}
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Path() != "allowed_origins[1]" || !strings.Contains(ce.Msg, tt.msg) || ce.Fix == "" {
			t.Errorf("CompileOrigins(%q) = %v, want allowed_origins[1] and %q", tt.entry, err, tt.msg)
		}
	}
	for _, dup := range [][]string{{"null", "null"}, {"https://a", "http://b", "https://a"}} {
		_, err := CompileOrigins(dup)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Index != len(dup)-1 || !strings.Contains(ce.Msg, "twice") {
			t.Errorf("CompileOrigins(%q) = %v, want a duplicate at %d", dup, err, len(dup)-1)
		}
	}
}

func TestOriginProblemFix(t *testing.T) {
	tests := []struct{ entry, fix string }{
		{"HTTPS://App.Example.com:443", `write "https://app.example.com"`},
		{"https://app.example.com:443", `write "https://app.example.com"`},
		{"https://App.example.com:8443", `write "https://app.example.com:8443"`},
	}
	for _, tt := range tests {
		if _, fix := originProblem(tt.entry); !strings.HasPrefix(fix, tt.fix) {
			t.Errorf("originProblem(%q) fix = %q, want %q…", tt.entry, fix, tt.fix)
		}
	}
}

func TestOriginsAllowed(t *testing.T) {
	list := []string{"https://app.example.com", "http://localhost:3000", "https://[::1]:8443", "http://plain.example", "https://alt.example:8443"}
	without, err := CompileOrigins(list)
	if err != nil {
		t.Fatal(err)
	}
	with, err := CompileOrigins(append(list, "null"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://app.example.com", true},
		// Scheme and host compare case-insensitively.
		{"HTTPS://APP.EXAMPLE.COM", true},
		{"hTTps://App.Example.Com", true},
		{"HTTP://LOCALHOST:3000", true},
		// The default port is dropped.
		{"https://app.example.com:443", true},
		{"HTTPS://app.example.com:443", true},
		{"http://plain.example:80", true},
		{"https://plain.example", false},
		{"https://plain.example:80", false},
		{"http://app.example.com:443", false},
		// Only the scheme's own default port is dropped: https on port 80
		// is not the listed https origin, nor http on 443 the listed http
		// one (RFC 6454 §4: the port is part of the origin).
		{"https://app.example.com:80", false},
		{"HTTPS://APP.EXAMPLE.COM:80", false},
		{"http://plain.example:443", false},
		{"HTTP://Plain.Example:443", false},
		{"https://alt.example:80", false},
		{"https://alt.example:443", false},
		{"https://alt.example:8443", true},
		{"https://alt.example", false},
		// Everything else is compared exactly.
		{"http://app.example.com", false},
		{"https://app.example.com:8443", false},
		{"https://app.example.com:0443", false},
		{"https://app.example.com:", false},
		{"https://app.example.com/", false},
		{"https://app.example.com/mcp", false},
		{"https://app.example.com.", false},
		{"https://app.example.co", false},
		{"https://evil.app.example.com", false},
		{"https://app.example.com.evil.example", false},
		{"https://user@app.example.com", false},
		{" https://app.example.com", false},
		{"https://app.example.com ", false},
		{"https://app.example.com\x00", false},
		{"http://localhost:3000", true},
		{"http://localhost:3001", false},
		{"http://localhost", false},
		{"https://[::1]:8443", true},
		{"https://[0:0::1]:8443", false}, // no IPv6 normalization
		{"https://[::1]", false},
		{"", false},
		{"*", false},
		{"https://" + strings.Repeat("a", 300), false},
	}
	for _, tt := range tests {
		if got := without.Allowed(tt.origin); got != tt.want {
			t.Errorf("Allowed(%q) = %v, want %v", tt.origin, got, tt.want)
		}
		if got := with.Allowed(tt.origin); got != tt.want {
			t.Errorf("with null: Allowed(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
	// "null" passes only when listed, and only spelled so.
	nulls := []struct {
		o      *Origins
		origin string
		want   bool
		desc   string
	}{
		{without, "null", false, "not listed"},
		{with, "null", true, "listed"},
		{with, "NULL", false, "listed, upper case"},
		{with, "null ", false, "listed, trailing space"},
	}
	for _, tt := range nulls {
		if got := tt.o.Allowed(tt.origin); got != tt.want {
			t.Errorf("%s: Allowed(%q) = %v, want %v", tt.desc, tt.origin, got, tt.want)
		}
	}
	empty, err := CompileOrigins(nil)
	if err != nil || empty.Allowed("https://app.example.com") || empty.Allowed("null") {
		t.Errorf("empty list: %v", err)
	}
}
