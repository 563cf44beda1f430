package config

import (
	"errors"
	"strings"
	"testing"
)

// TestPublicPathAliases: a public path that names the resource's own path
// once ASCII case is ignored or trailing dots are dropped from its segments
// is refused at load (docs/configuration.md#resourcespublic_paths): an
// upstream that matches paths case-insensitively, or drops trailing dots as
// Windows and IIS do, would serve the resource there without a token. The
// fix line says so. Paths beside the resource are still accepted.
func TestPublicPathAliases(t *testing.T) {
	tests := []struct {
		resource string // "" is the base resource, https://mcp.example.com/mcp
		public   string
		want     string // "" accepted; "alias" refused as covering the resource; else another refusal's text
	}{
		{"", "/MCP", "alias"},
		{"", "/Mcp", "alias"},
		{"", "/Mcp/*", "alias"},
		{"", "/MCP/", "alias"},
		{"", "/mcp.", "alias"},
		{"", "/mcp..", "alias"},
		{"", "/mcp./", "alias"},
		{"", "/mcp./*", "alias"},
		{"", "/MCP.", "alias"},
		{"https://mcp.example.com/v1/mcp", "/V1/*", "alias"},
		{"https://mcp.example.com/v1/mcp", "/v1./*", "alias"},
		{"https://mcp.example.com/v1/mcp", "/V1./MCP.", "alias"},
		{"https://mcp.example.com/mcp/", "/MCP", "alias"},
		{"https://mcp.example.com/MCP", "/mcp", "alias"},
		{"https://mcp.example.com/mcp.", "/mcp", "alias"},
		{"https://mcp.example.com/mcp.", "/MCP/*", "alias"},

		{"", "/healthz", ""},
		{"", "/mcpx", ""},
		{"", "/MCPX", ""},
		{"", "/mc", ""},
		{"", "/mcp.json", ""},
		{"", "/mcp-health", ""},
		{"", "/.mcp", ""},
		{"", "/m.cp", ""},
		{"", "/mcp/../x", `"." or ".." segment`}, // refused before any alias is looked for
		{"https://mcp.example.com/v1/mcp", "/v2/*", ""},
		{"https://mcp.example.com/v1/mcp", "/V1/other", ""},
	}
	for _, tt := range tests {
		t.Run(tt.resource+" "+tt.public, func(t *testing.T) {
			c := baseConfig(t)
			if tt.resource != "" {
				res0(c)["resource"] = tt.resource
			}
			res0(c)["public_paths"] = arr{"/healthz", tt.public}
			if tt.public == "/healthz" {
				res0(c)["public_paths"] = arr{tt.public}
			}
			_, err := Load(marshal(t, c))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("accepted, or error %v is not a *Error", err)
			}
			if e.Path != "resources[0].public_paths[1]" {
				t.Errorf("error %v: want it at resources[0].public_paths[1]", err)
			}
			if tt.want != "alias" {
				if !strings.Contains(e.Msg, tt.want) {
					t.Errorf("msg %q, want it to contain %q", e.Msg, tt.want)
				}
				return
			}
			if !strings.Contains(e.Msg, "covers the resource's own path") {
				t.Errorf("msg %q: want it to say that it covers the resource's own path", e.Msg)
			}
			// The fix says what to do, and why a path in another case or
			// with trailing dots is the resource's.
			for _, w := range []string{"remove it", "case", "trailing dots", "without a token"} {
				if !strings.Contains(e.Fix, w) {
					t.Errorf("fix %q does not say %q", e.Fix, w)
				}
			}
		})
	}
}
