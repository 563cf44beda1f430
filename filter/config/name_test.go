package config

import (
	"strings"
	"testing"
)

// resources[].name (docs/configuration.md): explicit names are checked and unique;
// derived names come from host and path and are made unique.
func TestResourceNames(t *testing.T) {
	t.Run("derived", func(t *testing.T) {
		c := baseConfig(t)
		c["authority_from"] = "authority"
		addResource(c, obj{"resource": "https://mcp.example.com:8443/mcp", "routes": arr{"r8443"}})
		addResource(c, obj{"resource": "https://mcp.example.com/mcp_x", "routes": arr{"rx1"}})
		addResource(c, obj{"resource": "https://mcp.example.com/mcp/x", "routes": arr{"rx2"}})
		addResource(c, obj{"resource": "https://" + strings.Repeat("a", 60) + ".example.com/x", "routes": arr{"rlong"}})
		p := mustLoad(t, c)
		want := []string{"mcp_example_com_mcp", "mcp_example_com_mcp_1", "mcp_example_com_mcp_x", "mcp_example_com_mcp_x_3", strings.Repeat("a", 48)}
		for i, r := range p.Resources {
			if r.Name != want[i] {
				t.Errorf("resources[%d].Name = %q, want %q", i, r.Name, want[i])
			}
		}
		// A round trip writes the derived names out; they load unchanged.
		q, err := Load(p.JSON())
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range q.Resources {
			if r.Name != want[i] {
				t.Errorf("round trip: resources[%d].Name = %q", i, r.Name)
			}
		}
	})
	refused := []struct {
		name, value, msg string
	}{
		{"empty", "", "is not 1 to 48 characters"},
		{"too long", strings.Repeat("a", 49), "is not 1 to 48 characters"},
		{"upper case", "Weather", `may only hold a-z, 0-9, "_" and "-"`},
		{"dot", "a.b", `may only hold`},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			c := baseConfig(t)
			res(c, 0)["name"] = tt.value
			_, err := Load(marshal(t, c))
			if err == nil || !strings.Contains(err.Error(), "resources[0].name: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Load = %v, want %q", err, tt.msg)
			}
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		c := baseConfig(t)
		res(c, 0)["name"] = "weather"
		r := secondResource()
		r["name"] = "weather"
		addResource(c, r)
		_, err := Load(marshal(t, c))
		if err == nil || !strings.Contains(err.Error(), `resources[1].name: name "weather" is already used by resources[0]`) {
			t.Fatalf("Load = %v", err)
		}
	})
	t.Run("explicit kept and round-tripped", func(t *testing.T) {
		c := baseConfig(t)
		res(c, 0)["name"] = "weather-v2_x"
		p := mustLoad(t, c)
		q, err := Load(p.JSON())
		if err != nil || p.Resources[0].Name != "weather-v2_x" || q.Resources[0].Name != "weather-v2_x" {
			t.Fatalf("%v %q", err, p.Resources[0].Name)
		}
	})
}
