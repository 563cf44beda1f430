package envoy

import (
	"testing"

	"github.com/audguard/audguard/filter/config"
)

// acceptPluginConfig fails unless the plugin's own loader (the code that runs
// in proxy_on_configure) accepts data, and data passes the strict mirror.
func acceptPluginConfig(t *testing.T, where string, data []byte) *mirrorConfig {
	t.Helper()
	c := mirrorDecode(t, data)
	p, err := config.Load(data)
	if err != nil {
		t.Fatalf("%s: config.Load refused the plugin configuration: %v", where, err)
	}
	if p == nil || len(p.Resources) != len(c.Resources) {
		t.Fatalf("%s: config.Load returned an unexpected plugin", where)
	}
	return c
}

func TestDemoConfig(t *testing.T) {
	c := acceptPluginConfig(t, "demo-config.json", readFile(t, "demo-config.json"))
	requireHostNeutral(t, "demo-config.json", c)
	want := map[string]bool{"https://mcp-a.example.com/mcp": true, "https://mcp-b.example.com/mcp": true}
	for _, r := range c.Resources {
		if !want[r.Resource] {
			t.Errorf("unexpected resource %s", r.Resource)
		}
		delete(want, r.Resource)
	}
	if len(want) != 0 || len(c.Issuers) != 1 || c.Issuers[0].Issuer != "https://auth.example.com" {
		t.Errorf("demo config: missing resources %v or wrong issuers", want)
	}
}
