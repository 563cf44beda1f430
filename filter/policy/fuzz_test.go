package policy

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzDecide feeds arbitrary request lines to the engine: it never panics,
// and every decision is one of the shapes docs/responses.md lists.
func FuzzDecide(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	e := New(loadConfig(f, func(m map[string]any) {
		r := m["resources"].([]any)[0].(map[string]any)
		r["public_paths"] = []string{"/healthz", "/pub/*"}
		r["claim_headers"] = map[string]string{"sub": "x-sub"}
	}), Options{Now: func() time.Time { return now }})
	good := token(f, now, resA, nil)
	f.Add("GET", "/mcp", authA, "Bearer "+good, "", false)
	f.Add("GET", "/.well-known/oauth-protected-resource/mcp", authA, "", "", true)
	f.Add("OPTIONS", "/mcp", authA, "", "https://o", true)
	f.Add("GET", "/pub/../mcp", authA, "Bearer x", "", true)
	f.Add("GET", "/mcp?access_token=1", "B.EXAMPLE.COM.", "Basic x", "", true)
	f.Add("POST", "/healthz", "[::1]:443", "Bearer a.b.c", "", false)
	f.Add("GET", "/mcp", authA, "Bearer "+good[:len(good)-3], "o", true)
	f.Fuzz(func(t *testing.T, method, path, authority, authz, origin string, eos bool) {
		h := [][2]string{{":method", method}, {":path", path}, {":authority", authority}, {"x_sub", "spoof"}}
		if authz != "" {
			h = append(h, [2]string{"authorization", authz})
		}
		if origin != "" {
			h = append(h, [2]string{"origin", origin}, [2]string{"access-control-request-method", "GET"})
		}
		d := e.Decide(&Request{Headers: h, EndOfStream: eos, RouteName: path, HasRoute: true})
		switch d.Outcome {
		case OutcomeAllowed, OutcomePreflight, OutcomePublic:
			if d.Local() {
				t.Fatalf("%v with a local reply", d.Outcome)
			}
		case OutcomeDenied:
			if d.Reason == ReasonNone || d.Status < 400 || d.Status > 403 {
				t.Fatalf("denied with reason %v status %d", d.Reason, d.Status)
			}
		case OutcomeMetadata:
			if d.Status != 200 && d.Status != 204 && d.Status != 405 {
				t.Fatalf("metadata status %d", d.Status)
			}
		default:
			t.Fatalf("outcome %v in enforce mode", d.Outcome)
		}
		stripped := false
		for _, n := range d.Remove {
			stripped = stripped || n == "x_sub"
		}
		if !stripped {
			t.Fatalf("spoofed claim header not removed (outcome %v)", d.Outcome)
		}
		if d.Outcome == OutcomeAllowed && authz != "Bearer "+good && authz != "bearer "+good {
			// Only the one valid token may be allowed (modulo Bearer spacing).
			if tok, _, _ := bearerCredentials(authz); tok != good {
				t.Fatalf("allowed a request whose credential is not the valid token")
			}
		}
	})
}

// FuzzTokenInQuery holds tokenInQuery to a second, plain reading of the
// query (seeds in testdata/fuzz/FuzzTokenInQuery): whenever some framework
// of refQueryNames reads a parameter's name as access_token, the request
// is refused (docs/request-flow.md#10-token-extraction).
func FuzzTokenInQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, query string) {
		path := "/mcp?" + query
		got := tokenInQuery(path)
		for _, param := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
			name, _, _ := strings.Cut(param, "=")
			for _, read := range refQueryNames(name) {
				if strings.EqualFold(read, "access_token") && !got {
					t.Fatalf("tokenInQuery(%q) = false, but a framework reads %q as %q", path, name, read)
				}
			}
		}
	})
}

// refQueryNames is how frameworks an upstream may use read the raw query
// parameter name s, spelled out the slow way: form decoding ("+" a space,
// %XX decoded, a bad escape kept); then that name with surrounding spaces
// and tabs and one trailing "[]" set aside (Rack, Rails, PHP lists); and
// PHP's reading (main/php_variables.c): leading spaces dropped, the name
// ends at a NUL byte, "." and " " read as "_" up to the first "[", and a
// "[" with no "]" after it read as "_" too (a "[" with one is an array:
// only a final "[]" is kept, as a list named by what comes before).
func refQueryNames(s string) []string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' {
			c = ' '
		} else if c == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil && s[i+1] != '+' && s[i+1] != '-' {
				c = byte(v)
				i += 2
			}
		}
		b = append(b, c)
	}
	decoded := string(b)
	out := []string{decoded}
	plain := strings.Trim(decoded, " \t")
	if strings.HasSuffix(plain, "[]") {
		plain = strings.Trim(strings.TrimSuffix(plain, "[]"), " \t")
	}
	out = append(out, plain)

	php := strings.TrimLeft(decoded, " ")
	if i := strings.IndexByte(php, 0); i >= 0 {
		php = php[:i]
	}
	var p strings.Builder
	for i := 0; i < len(php); i++ {
		c := php[i]
		switch c {
		case ' ', '.':
			c = '_'
		case '[':
			if !strings.Contains(php[i+1:], "]") {
				p.WriteByte('_')
				p.WriteString(php[i+1:])
			} else if php[i:] == "[]" {
				// a list: named by what came before
			} else {
				return out // an array with an index: not a plain value
			}
			return append(out, p.String())
		}
		p.WriteByte(c)
	}
	return append(out, p.String())
}
