package policy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Contract §5.9: a failing host call is a decision like any other, made
// here, so the glue only applies it.
func TestHostFailure(t *testing.T) {
	withClaimHeader := func(mode string) func(map[string]any) {
		return func(m map[string]any) {
			m["mode"] = mode
			m["resources"].([]any)[0].(map[string]any)["claim_headers"] = map[string]string{"sub": "x-mcp-subject"}
		}
	}
	spoofed := [][2]string{{":path", "/mcp"}, {"x-mcp-subject", "admin"}, {"X_MCP.SUBJECT", "admin"}}
	tests := []struct {
		name    string
		e       *Engine
		headers [][2]string
		status  uint32
		remove  []string
	}{
		{"enforce", New(loadConfig(t, withClaimHeader("enforce")), Options{}), spoofed, 500, nil},
		{"report passes once spoofed headers are removed", New(loadConfig(t, withClaimHeader("report")), Options{}), spoofed, 0,
			[]string{"x-mcp-subject", "X_MCP.SUBJECT"}},
		{"report without headers", New(loadConfig(t, withClaimHeader("report")), Options{}), nil, 500, nil},
		{"no engine", nil, spoofed, 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.e.HostFailure("reading xds.route_name", tt.headers)
			if d.Outcome != OutcomeHostError || d.Counter() != CounterHostError {
				t.Errorf("outcome %v counter %q", d.Outcome, d.Counter())
			}
			if d.Status != tt.status {
				t.Errorf("status %d, want %d", d.Status, tt.status)
			}
			if tt.status == 500 && string(d.ReplyBody) != string(serverErrorBody) {
				t.Errorf("body %s", d.ReplyBody)
			}
			if !reflect.DeepEqual(d.Remove, tt.remove) && !(len(d.Remove) == 0 && len(tt.remove) == 0) {
				t.Errorf("remove %q, want %q", d.Remove, tt.remove)
			}
			if level, line := d.Log(); level != LogError || line != "audguard: host call failed: reading xds.route_name" {
				t.Errorf("log %v %q", level, line)
			}
		})
	}
}

// The metadata document never advertises offline_access (MCP 2026-07-28
// authorization), even when scopes_supported lists it.
func TestMetadataOmitsOfflineAccess(t *testing.T) {
	e := New(loadConfig(t, func(m map[string]any) {
		m["resources"].([]any)[0].(map[string]any)["scopes_supported"] = []string{"mcp:tools", "offline_access"}
	}), Options{})
	req := &Request{Headers: [][2]string{{":method", "GET"}, {":path", "/.well-known/oauth-protected-resource/mcp"}, {":authority", authA}}}
	d := e.Decide(req)
	if d.Outcome != OutcomeMetadata || d.Status != 200 {
		t.Fatalf("outcome %v status %d", d.Outcome, d.Status)
	}
	if body := string(d.ReplyBody); !strings.Contains(body, `"scopes_supported":["mcp:tools"]`) {
		t.Errorf("metadata %s", body)
	}
}

// Claim headers on a cache hit are rendered once per entry and are the same
// as on the cold request, per resource.
func TestClaimHeadersOnHits(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, func(m map[string]any) {
		rs := m["resources"].([]any)
		rs[0].(map[string]any)["claim_headers"] = map[string]string{"sub": "x-sub", "scope": "x-scope"}
		rs[0].(map[string]any)["exclusive_audience"] = false
		rs[1].(map[string]any)["claim_headers"] = map[string]string{"aud": "x-aud"}
		rs[1].(map[string]any)["exclusive_audience"] = false
	}), Options{Now: c.now})
	tok := token(t, c.t, []string{resA, resB}, map[string]any{"scope": "a b"})
	e2 := New(e.Config(), Options{Now: c.now, CacheSize: -1}) // never caches: the cold rendering
	for i, want := range []struct {
		auth  string
		cache CacheUse
	}{{authA, CacheMiss}, {authA, CacheHit}, {authB, CacheHit}, {authB, CacheHit}} {
		d := e.Decide(request(want.auth, tok))
		got := fmt.Sprint(d.Set)
		cold := e2.Decide(request(want.auth, tok))
		if d.Outcome != OutcomeAllowed || d.Cache != want.cache || got != fmt.Sprint(cold.Set) || len(d.Set) == 0 {
			t.Errorf("request %d at %s: %v %v %s, cold %s", i, want.auth, d.Outcome, d.Cache, got, fmt.Sprint(cold.Set))
		}
	}
}
