package config

import (
	"encoding/json"
	"testing"
)

type obj = map[string]any
type arr = []any

// baseConfig is a valid configuration with one issuer (RSA, P-256 and Ed25519
// keys) and one resource. Every call returns a fresh copy to mutate.
func baseConfig(t testing.TB) obj {
	return obj{
		"issuers": arr{obj{
			"name":            "corp",
			"issuer":          "https://auth.example.com",
			"jwks":            obj{"keys": arr{rsaKey(t), ecKey(t), edKey(t)}},
			"required_claims": arr{"sub"},
		}},
		"resources": arr{obj{
			"resource":        "https://mcp.example.com/mcp",
			"routes":          arr{"weather_mcp"},
			"virtual_hosts":   arr{"mcp_example"},
			"authorities":     arr{"mcp.example.com"},
			"required_scopes": arr{"mcp:tools"},
			"public_paths":    arr{"/healthz"},
			"claim_headers":   obj{"sub": "x-mcp-subject"},
		}},
	}
}

// secondIssuer is an issuer with the Ed25519 key only.
func secondIssuer(t testing.TB) obj {
	return obj{"name": "other", "issuer": "https://other-auth.example.com", "jwks": obj{"keys": arr{edKey(t)}}}
}

// secondResource is a resource that does not collide with baseConfig's.
func secondResource() obj {
	return obj{"resource": "https://api.example.com/mcp", "routes": arr{"api_mcp"}}
}

func iss(c obj, i int) obj { return c["issuers"].(arr)[i].(obj) }
func res(c obj, i int) obj { return c["resources"].(arr)[i].(obj) }

func addIssuer(c obj, is obj)  { c["issuers"] = append(c["issuers"].(arr), is) }
func addResource(c obj, r obj) { c["resources"] = append(c["resources"].(arr), r) }

func marshal(t testing.TB, c obj) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustLoad(t testing.TB, c obj) *Plugin {
	t.Helper()
	p, err := Load(marshal(t, c))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checkTables(t, p) // every configuration a test loads: its tables, rebuilt from the resources
	return p
}
