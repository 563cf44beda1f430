package policy

import (
	"reflect"
	"testing"
	"time"
)

// TestDecideRemovesAuthorization pins the Authorization removals of
// docs/request-flow.md: a public path and a CORS preflight never pass a
// (possibly leaked, never verified) token on, whatever forward_token says;
// an allowed request drops it unless forward_token; report mode leaves the
// request's headers alone (§5.8). The hosts remove one value per call, so
// every occurrence needs its own entry in Decision.Remove: two Authorization
// headers mean two removals, or one of them reaches the upstream.
func TestDecideRemovesAuthorization(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	edit := func(mode string) func(map[string]any) {
		return func(m map[string]any) {
			m["mode"] = mode
			rs := m["resources"].([]any)
			rs[0].(map[string]any)["public_paths"] = []string{"/healthz", "/pub/*"}
			rs[1].(map[string]any)["public_paths"] = []string{"/status"}
			rs[1].(map[string]any)["forward_token"] = true
		}
	}
	enforce := New(loadConfig(t, edit("enforce")), Options{Now: clock})
	report := New(loadConfig(t, edit("report")), Options{Now: clock})
	tokA, tokB := token(t, now, resA, nil), token(t, now, resB, nil)

	req := func(method, authority, path string, authz []string, extra ...[2]string) *Request {
		h := [][2]string{{":method", method}, {":path", path}, {":authority", authority}}
		for _, a := range authz {
			h = append(h, [2]string{"authorization", a})
		}
		return &Request{Headers: append(h, extra...), EndOfStream: true}
	}
	preflight := [][2]string{{"origin", "https://app.example"}, {"access-control-request-method", "POST"}}
	one, two := []string{"authorization"}, []string{"authorization", "authorization"}

	tests := []struct {
		name    string
		e       *Engine
		req     *Request
		outcome Outcome
		remove  []string
	}{
		{"public path, one Authorization", enforce, req("GET", authA, "/healthz", []string{"Bearer leaked"}), OutcomePublic, one},
		{"public prefix, one Authorization", enforce, req("GET", authA, "/pub/x?y=1", []string{"Bearer " + tokA}), OutcomePublic, one},
		{"public path, two Authorization", enforce, req("GET", authA, "/healthz", []string{"Bearer one", "Bearer two"}), OutcomePublic, two},
		{"public path, Authorization spelled otherwise", enforce, req("GET", authA, "/healthz", nil, [2]string{"Authorization", "Bearer x"}, [2]string{"AUTHORIZATION", "Basic y"}), OutcomePublic, two},
		{"public path of a forward_token resource", enforce, req("GET", authB, "/status", []string{"Bearer " + tokB}), OutcomePublic, one},
		{"preflight, one Authorization", enforce, req("OPTIONS", authA, "/mcp", []string{"Bearer one"}, preflight...), OutcomePreflight, one},
		{"preflight, two Authorization", enforce, req("OPTIONS", authA, "/mcp", []string{"Bearer one", "Bearer two"}, preflight...), OutcomePreflight, two},
		{"preflight, three Authorization", enforce, req("OPTIONS", authA, "/mcp", []string{"a", "b", "c"}, preflight...), OutcomePreflight,
			[]string{"authorization", "authorization", "authorization"}},
		{"allowed drops the token", enforce, req("POST", authA, "/mcp", []string{"Bearer " + tokA}), OutcomeAllowed, one},
		{"allowed with forward_token keeps it", enforce, req("POST", authB, "/mcp", []string{"Bearer " + tokB}), OutcomeAllowed, nil},
		{"report: public path untouched", report, req("GET", authA, "/healthz", []string{"Bearer one", "Bearer two"}), OutcomePublic, nil},
		{"report: preflight untouched", report, req("OPTIONS", authA, "/mcp", []string{"Bearer one", "Bearer two"}, preflight...), OutcomePreflight, nil},
		{"report: allowed untouched", report, req("POST", authA, "/mcp", []string{"Bearer " + tokA}), OutcomeAllowed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.e.Decide(tt.req)
			if d.Outcome != tt.outcome || d.Local() {
				t.Fatalf("outcome %v (status %d, reason %v), want %v passed on", d.Outcome, d.Status, d.Reason, tt.outcome)
			}
			if !reflect.DeepEqual(d.Remove, tt.remove) && !(len(d.Remove) == 0 && len(tt.remove) == 0) {
				t.Errorf("remove %q, want %q", d.Remove, tt.remove)
			}
			if len(d.Set) != 0 {
				t.Errorf("set %q, want nothing", d.Set)
			}
		})
	}
}

// TestDecideRefusesTwoOrigins: at a resource with allowed_origins, a request
// with more than one Origin header is a 400 invalid_request
// (docs/request-flow.md#8-origin), even when every copy is allowed, and
// before the token is looked at; one allowed Origin passes. A resource
// without allowed_origins does not look at Origin.
func TestDecideRefusesTwoOrigins(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e := New(loadConfig(t, func(m map[string]any) {
		m["resources"].([]any)[0].(map[string]any)["allowed_origins"] = []string{"https://app.example.com", "null"}
	}), Options{Now: func() time.Time { return now }})
	tokA, tokB := token(t, now, resA, nil), token(t, now, resB, nil)
	req := func(authority, tok string, origins ...[2]string) *Request {
		r := request(authority, tok)
		r.Headers = append(r.Headers, origins...)
		return r
	}
	app := [2]string{"origin", "https://app.example.com"}
	const desc = "The request must carry at most one Origin header."
	wantHeaders := [][2]string{
		{"www-authenticate", `Bearer error="invalid_request", error_description="` + desc + `", ` + metaA},
		{"content-type", "application/json"},
		{"access-control-allow-origin", "*"},
		{"access-control-expose-headers", "www-authenticate"},
	}
	wantBody := `{"error":"invalid_request","error_description":"` + desc + `"}`

	twice := []struct {
		name string
		req  *Request
	}{
		{"the same allowed origin twice", req(authA, tokA, app, app)},
		{"spelled differently", req(authA, tokA, app, [2]string{"Origin", "HTTPS://APP.EXAMPLE.COM:443"})},
		{"allowed, then not", req(authA, tokA, app, [2]string{"origin", "https://evil.example"})},
		{"not allowed, then allowed", req(authA, tokA, [2]string{"origin", "https://evil.example"}, app)},
		{"null twice", req(authA, tokA, [2]string{"origin", "null"}, [2]string{"ORIGIN", "null"})},
		{"three copies", req(authA, tokA, app, app, app)},
		{"without a token", req(authA, "", app, app)},
	}
	for _, tt := range twice {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(tt.req)
			if d.Outcome != OutcomeDenied || d.Reason != ReasonInvalidRequest || d.Status != 400 {
				t.Fatalf("outcome %v reason %v status %d, want denied invalid_request 400", d.Outcome, d.Reason, d.Status)
			}
			if !reflect.DeepEqual(d.ReplyHeaders, wantHeaders) {
				t.Errorf("reply headers\n%q\nwant\n%q", d.ReplyHeaders, wantHeaders)
			}
			if string(d.ReplyBody) != wantBody {
				t.Errorf("body %s\nwant %s", d.ReplyBody, wantBody)
			}
			if d.Cache != CacheNotUsed {
				t.Errorf("cache %v: the token was verified before the Origin check", d.Cache)
			}
		})
	}

	passes := []struct {
		name    string
		req     *Request
		outcome Outcome
		reason  Reason
		status  uint32
	}{
		{"one allowed origin", req(authA, tokA, app), OutcomeAllowed, ReasonNone, 0},
		{"one origin not allowed", req(authA, tokA, [2]string{"origin", "https://evil.example"}), OutcomeDenied, ReasonForbiddenOrigin, 403},
		{"no allowed_origins: a foreign origin is refused", req(authB, tokB, app), OutcomeDenied, ReasonForbiddenOrigin, 403},
		{"no allowed_origins: two Origin headers are refused", req(authB, tokB, app, [2]string{"origin", "https://evil.example"}), OutcomeDenied, ReasonInvalidRequest, 400},
	}
	for _, tt := range passes {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(tt.req)
			if d.Outcome != tt.outcome || d.Reason != tt.reason || d.Status != tt.status {
				t.Errorf("outcome %v reason %v status %d, want %v %v %d", d.Outcome, d.Reason, d.Status, tt.outcome, tt.reason, tt.status)
			}
		})
	}
}
