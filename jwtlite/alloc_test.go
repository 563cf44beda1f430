package jwtlite

import (
	"testing"
	"time"
)

// TestAllocations pins the zero-allocation promises of the hot path (Parse after warm-up,
// Select, and the claim accessors).
func TestAllocations(t *testing.T) {
	k := tk(t)
	now := time.Unix(1_700_000_000, 0)
	tok := k.mint(t, RS256, "k1", map[string]any{
		"iss": "https://auth.example.com", "sub": "user-1", "client_id": "c1",
		"aud": []string{"https://mcp.example.com/mcp", "https://other.example"},
		"exp": now.Unix() + 600, "iat": now.Unix() - 10, "nbf": now.Unix() - 10,
		"scope": "mcp:tools mcp:resources", "jti": "abc",
	})
	ks := keySet(t, nil, k.jwkJSON(t, RS256, map[string]any{"kid": "k1"}))
	var p Parser
	var tt Token
	if err := p.Parse(tok, &tt); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		fn   func()
	}{
		{"Parse", func() {
			if err := p.Parse(tok, &tt); err != nil {
				t.Fatal(err)
			}
		}},
		{"Select", func() {
			if _, err := ks.Select(&tt.Header); err != nil {
				t.Fatal(err)
			}
		}},
		{"EachAudience", func() {
			n := 0
			if err := tt.Claims.EachAudience(func([]byte) bool { n++; return true }); err != nil || n != 2 {
				t.Fatal(err, n)
			}
		}},
		{"EachScope", func() {
			n := 0
			tt.Claims.EachScope(func([]byte) bool { n++; return true })
			if n != 2 {
				t.Fatal(n)
			}
		}},
		{"Has", func() {
			if !tt.Claims.Has("client_id") || tt.Claims.Has("nope") {
				t.Fatal("Has")
			}
		}},
		{"CheckTime", func() {
			if err := tt.Claims.CheckTime(now, time.Minute); err != nil {
				t.Fatal(err)
			}
		}},
		{"Reason", func() {
			if Reason(ErrExpired) != "expired" {
				t.Fatal("reason")
			}
		}},
	}
	for _, c := range cases {
		if got := testing.AllocsPerRun(100, c.fn); got != 0 {
			t.Errorf("%s: %v allocations per run, want 0", c.name, got)
		}
	}
}
