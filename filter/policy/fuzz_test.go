package policy

import (
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
