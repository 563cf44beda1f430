package policy

import (
	"reflect"
	"strings"
	"testing"
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
