package policy

import (
	"testing"
	"time"
)

// TestClockReadsPerRequest: in the module every reading of the clock is a
// host call (WASI clock_time_get), so the request path reads it only where a
// check needs the time: once for an allowed cache hit (the time claims),
// whatever the resource's dpop, and at most once for a denial (the log
// line's rate limit). The DPoP response step read it on every allowed
// request, for a nonce only a few of them issue.
func TestClockReadsPerRequest(t *testing.T) {
	for _, mode := range []string{"off", "allowed"} {
		t.Run("dpop "+mode, func(t *testing.T) {
			base := time.Unix(1_800_000_000, 0)
			reads := 0
			now := func() time.Time { reads++; return base }
			edit := func(map[string]any) {}
			if mode != "off" {
				edit = dpopConfig(mode, true)
			}
			e := New(loadConfig(t, edit), Options{Now: now})
			tok := token(t, base, resA, nil)
			bearer := &Request{Headers: [][2]string{{":method", "GET"}, {":path", "/mcp"}, {":authority", authA}, {"authorization", "Bearer " + tok}}}
			e.Decide(bearer) // cold: fills the cache
			reads = 0
			d := e.Decide(bearer)
			if d.Outcome != OutcomeAllowed || d.Cache != CacheHit {
				t.Fatalf("Bearer hit: %v %v cache %v", d.Outcome, d.Reason, d.Cache)
			}
			if reads != 1 {
				t.Errorf("an allowed cache hit read the clock %d times, want 1", reads)
			}
			reads = 0
			if d := e.Decide(&Request{Headers: [][2]string{{":method", "GET"}, {":path", "/mcp"}, {":authority", authA}}}); d.Reason != ReasonMissingToken {
				t.Fatalf("no token: %v %v", d.Outcome, d.Reason)
			}
			if reads > 1 {
				t.Errorf("a request without a token read the clock %d times, want at most 1", reads)
			}
		})
	}
}
