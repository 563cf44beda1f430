package config

import (
	"strings"
	"testing"
)

// offline_access (MCP 2026-07-28 authorization): never an access
// requirement, never published.
func TestOfflineAccess(t *testing.T) {
	for name, mutate := range map[string]func(obj){
		"required_scopes": func(c obj) { res(c, 0)["required_scopes"] = arr{"mcp:tools", "offline_access"} },
		"operations": func(c obj) {
			res(c, 0)["operations"] = arr{obj{"method": "tools/call", "scopes": arr{"offline_access"}}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := baseConfig(t)
			mutate(c)
			if _, err := Load(marshal(t, c)); err == nil || !strings.Contains(err.Error(), "offline_access") {
				t.Fatalf("Load = %v, want offline_access refused", err)
			}
		})
	}
	t.Run("scopes_supported keeps it out of publication", func(t *testing.T) {
		c := baseConfig(t)
		res(c, 0)["scopes_supported"] = arr{"mcp:tools", "offline_access"}
		p := mustLoad(t, c)
		if !strings.Contains(strings.Join(p.Warnings, "\n"), `"offline_access" is not published`) {
			t.Errorf("no warning: %q", p.Warnings)
		}
	})
	t.Run("default scopes_supported: required ∪ operations", func(t *testing.T) {
		c := baseConfig(t)
		res(c, 0)["operations"] = arr{obj{"method": "tools/call", "name": "rm", "scopes": arr{"mcp:admin", "mcp:tools"}}}
		p := mustLoad(t, c)
		if got := strings.Join(p.Resources[0].ScopesSupported, " "); got != "mcp:tools mcp:admin" {
			t.Errorf("scopes_supported %q", got)
		}
	})
}
