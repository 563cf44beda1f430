package policy

import (
	"strings"
	"testing"
)

func TestBearerCredentials(t *testing.T) {
	tests := []struct {
		in         string
		token      string
		isBearer   bool
		wellFormed bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true, true},
		{"bearer abc", "abc", true, true},
		{"BEARER abc", "abc", true, true},
		{"Bearer   abc", "abc", true, true},
		{"Bearer abc==", "abc==", true, true},
		{"Bearer a-b_c~d+e/f.g", "a-b_c~d+e/f.g", true, true},
		{"Bearer", "", true, false},
		{"Bearer ", "", true, false},
		{"Bearer =", "", true, false},
		{"Bearer a=b", "", true, false},
		{"Bearer a b", "", true, false},
		{"Bearer a,b", "", true, false},
		{"Bearer a\tb", "", true, false},
		{"Bearer\tabc", "", true, false},
		{"Bearer,abc", "", true, false},
		{"Bearer:abc", "", true, false},
		{"Basic dXNlcg==", "", false, false},
		{"Bearerabc", "", false, false},
		{"", "", false, false},
		{"DPoP abc", "", false, false},
	}
	for _, tc := range tests {
		tok, isBearer, ok := bearerCredentials(tc.in)
		if tok != tc.token || isBearer != tc.isBearer || ok != tc.wellFormed {
			t.Errorf("bearerCredentials(%q) = %q, %v, %v; want %q, %v, %v", tc.in, tok, isBearer, ok, tc.token, tc.isBearer, tc.wellFormed)
		}
	}
}

func TestTokenInQuery(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/mcp", false},
		{"/mcp?", false},
		{"/mcp?access_token=x", true},
		{"/mcp?a=1&access_token=x", true},
		{"/mcp?a=1&access_token", true},
		{"/mcp?access_token=", true},
		{"/mcp?ACCESS_TOKEN=x", true},
		{"/mcp?access%5Ftoken=x", true},
		{"/mcp?access%5ftoken=x", true},
		{"/mcp?%61ccess_token=x", true},
		{"/mcp?xaccess_token=x", false},
		{"/mcp?access_tokens=x", false},
		{"/mcp?q=access_token", false},
		{"/access_token", false},
		{"/mcp?a=1&&access_token=1", true},
		// ";" separates parameters too; "[]", "+" and spaces are set aside.
		{"/mcp?x=1;access_token=t", true},
		{"/mcp?access_token[]=t", true},
		{"/mcp?access_token%5B%5D=t", true},
		{"/mcp?access_token+=t", true},
		{"/mcp?+access_token=t", true},
		{"/mcp?access_token%20=t", true},
		{"/mcp?access_token%09=t", true},
		{"/mcp?access_token++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++=t", true},
		{"/mcp?access_token+[]=t", true},
		{"/mcp?access_token[]+=t", true},
		// PHP reads ".", a space and a "[" without its "]" in a name as "_",
		// and stops a name at a NUL byte.
		{"/mcp?access.token=t", true},
		{"/mcp?access+token=t", true},
		{"/mcp?access%20token=t", true},
		{"/mcp?access%2Etoken=t", true},
		{"/mcp?access[token=t", true},
		{"/mcp?access%5Btoken=t", true},
		{"/mcp?access.token[]=t", true},
		{"/mcp?+access.token=t", true},
		{"/mcp?Access.Token=t", true},
		{"/mcp?access_token%00=t", true},
		{"/mcp?access_token%00junk=t", true},
		{"/mcp?access_token%00" + strings.Repeat("x", 100) + "=t", true},
		{"/mcp?access[token[]=t", true}, // PHP: an array named "access"; refused all the same
		{"/mcp?access..token=t", false},
		{"/mcp?accesstoken=t", false},
		{"/mcp?access-token=t", false},
		{"/mcp?access]token=t", false},
		{"/mcp?%00access_token=t", false},
		{"/mcp?access_token[x]=t", false},
		{"/mcp?access_token[][]=t", false},
		{"/mcp?a;b=access_token", false},
	}
	for _, tc := range tests {
		if got := tokenInQuery(tc.path); got != tc.want {
			t.Errorf("tokenInQuery(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestNormalPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/healthz", true},
		{"/public/a/b.txt", true},
		{"/public/", true},
		{"/a%20b", false}, // any "%" makes a path non-public (docs/request-flow.md#7-public-paths)
		{"/public/%252e%252e/mcp", false},
		{"/public/%41", false},
		{"/caf\xc3\xa9", false},
		{"", false},
		{"healthz", false},
		{"//healthz", false},
		{"/public//x", false},
		{"/public/./x", false},
		{"/public/../x", false},
		{"/public/..", false},
		{"/public/.", false},
		{"/public/%2e%2e/x", false},
		{"/public/%2E/x", false},
		{"/public%2fx", false},
		{"/public%2Fx", false},
		{"/public%5cx", false},
		{"/public\\x", false},
		{"/healthz;a", false},
		{"/a\x00", false},
		{"/a%", false},
		{"/a%2", false},
		{"/...", true},
		{"/healthz#x", false},
		{"/public/..#", false},
		{"/a b", false},
		{"/a\x7f", false},
		{"/a\tb", false},
		{"/.well-known/x", true},
	}
	for _, tc := range tests {
		if got := normalPath(tc.path); got != tc.want {
			t.Errorf("normalPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestSanitize(t *testing.T) {
	if got := sanitizeRequestID("abc-123"); got != "abc-123" {
		t.Errorf("plain id: %q", got)
	}
	for _, bad := range []string{"", "a b", "a\nb", string(make([]byte, 65)), "x\"y"} {
		if got := sanitizeRequestID(bad); got != "-" {
			t.Errorf("sanitizeRequestID(%q) = %q, want -", bad, got)
		}
	}
	if got := sanitizeHeaderList("authorization, mcp-protocol-version"); got != "authorization, mcp-protocol-version" {
		t.Errorf("header list: %q", got)
	}
	if got := sanitizeHeaderList("a\r\nb"); got != "" {
		t.Errorf("header list with CRLF: %q", got)
	}
}

func TestReasons(t *testing.T) {
	rs := Reasons()
	want := []string{"missing_token", "invalid_request", "token_in_query", "malformed_token", "token_too_large",
		"unsupported_algorithm", "unknown_key", "bad_signature", "unknown_issuer", "expired", "not_yet_valid",
		"issued_in_future", "wrong_token_type", "missing_claim", "wrong_audience", "extra_audience",
		"insufficient_scope", "unmatched_resource", "revoked", "keys_unavailable", "forbidden_origin", "invalid_mcp_headers",
		"invalid_mcp_body", "header_mismatch", "body_too_large",
		"invalid_dpop_proof", "dpop_replayed", "use_dpop_nonce", "dpop_binding"}
	if len(rs) != len(want) {
		t.Fatalf("%d reasons, want the %d of docs/responses.md#denials", len(rs), len(want))
	}
	for i, r := range rs {
		if r.String() != want[i] {
			t.Errorf("reason %d = %q, want %q", i, r, want[i])
		}
	}
	seen := map[string]bool{}
	for _, r := range rs {
		name := r.String()
		if name == "" || seen[name] {
			t.Errorf("reason %d: bad or duplicate name %q", r, name)
		}
		seen[name] = true
		if back, ok := ParseReason(name); !ok || back != r {
			t.Errorf("ParseReason(%q) = %v, %v", name, back, ok)
		}
		d := r.Description()
		if d == "" {
			t.Errorf("%s: no description", name)
		}
		for i := 0; i < len(d); i++ { // RFC 6750 §3: error_description characters
			if c := d[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Errorf("%s: description has %q, not allowed in error_description", name, c)
			}
		}
	}
}
