package config

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/audguard/audguard/canonical"
)

// authority_from (docs/request-flow.md#6-resource): the word, and the host-keyed tables that
// "host" and "auto" need, where a port cannot tell two resources apart.
func TestAuthorityFrom(t *testing.T) {
	twoPorts := func(from string) obj {
		c := baseConfig(t)
		if from != "" {
			c["authority_from"] = from
		}
		res(c, 0)["authorities"] = arr{"mcp.example.com"}
		addResource(c, obj{"resource": "https://mcp.example.com:8443/mcp", "authorities": arr{"mcp.example.com:8443"}})
		return c
	}
	tests := []struct {
		name    string
		cfg     obj
		want    AuthorityFrom
		refused string // substring of the refusal, "" = loads
		fix     string
	}{
		{"default is auto", baseConfig(t), AuthorityAuto, "", ""},
		{"authority", with(baseConfig(t), "authority_from", "authority"), AuthorityExact, "", ""},
		{"host", with(baseConfig(t), "authority_from", "host"), AuthorityHost, "", ""},
		{"unknown word", with(baseConfig(t), "authority_from", "Host"), 0, `authority_from`, ""},
		{"not a string", with(baseConfig(t), "authority_from", true), 0, `authority_from`, ""},
		{"ports apart under authority", twoPorts("authority"), AuthorityExact, "", ""},
		{"ports collide under host", twoPorts("host"), 0, `host "mcp.example.com" is claimed by resources[0]`, `under "authority_from": "host"`},
		{"ports collide under auto", twoPorts(""), 0, `host "mcp.example.com" is claimed by resources[0]`, `"auto"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(marshal(t, tt.cfg))
			if tt.refused != "" {
				var e *Error
				if !errors.As(err, &e) || !strings.Contains(err.Error(), tt.refused) || !strings.Contains(e.Fix, tt.fix) {
					t.Fatalf("Load = %v; want a refusal containing %q with fix %q", err, tt.refused, tt.fix)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.AuthorityFrom != tt.want {
				t.Errorf("AuthorityFrom = %v, want %v", p.AuthorityFrom, tt.want)
			}
			if (p.ByHost == nil) != (tt.want == AuthorityExact) {
				t.Errorf("ByHost built = %v under %v", p.ByHost != nil, tt.want)
			}
			again, err := Load(p.JSON())
			if err != nil || again.AuthorityFrom != p.AuthorityFrom {
				t.Errorf("round trip: %v, %v", err, again)
			}
		})
	}
}

func with(c obj, key string, v any) obj { c[key] = v; return c }

// Authorities are stored in normal form; under "host" they are keyed by host.
func TestAuthorityTables(t *testing.T) {
	c := baseConfig(t)
	res(c, 0)["authorities"] = arr{"MCP.example.com", "alias.example.com:8443"}
	p := mustLoad(t, c)
	r := p.Resources[0]
	for _, k := range []string{"mcp.example.com", "alias.example.com:8443"} {
		if p.ByAuthority[k] != r {
			t.Errorf("ByAuthority[%q] missing", k)
		}
	}
	for _, k := range []string{"mcp.example.com", "alias.example.com"} {
		if p.ByHost[k] != r {
			t.Errorf("ByHost[%q] missing", k)
		}
	}
	if p.ByAuthority["alias.example.com"] != nil || p.ByHost["alias.example.com:8443"] != nil {
		t.Errorf("a table holds the other form")
	}
	if p.MetadataByHost[MetadataAt{"alias.example.com", "/.well-known/oauth-protected-resource/mcp"}] != r {
		t.Errorf("MetadataByHost lacks the alias")
	}
}

// The host-keyed tables hold, for every resource, the host form of each of
// its authorities (and, for metadata, of its own authority): built from
// the resources here, independently of tables, with and without ports
// (without any, Load shares the authority-keyed maps).
func TestHostTablesMatchResources(t *testing.T) {
	portless := baseConfig(t)
	res(portless, 0)["authorities"] = arr{"MCP.example.com", "alias.example.com"}
	addResource(portless, obj{"resource": "https://b.example.com/mcp", "authorities": arr{"b.example.com", "[::1]"}})
	ported := baseConfig(t)
	res(ported, 0)["authorities"] = arr{"mcp.example.com", "alias.example.com:8443", "alias.example.com:9443"}
	addResource(ported, obj{"resource": "https://b.example.com:8443/mcp", "authorities": arr{"b.example.com:8443", "[::1]:8443"}})
	for name, c := range map[string]obj{"portless": portless, "ported": ported} {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, c)
			byHost := map[string]*Resource{}
			md := map[MetadataAt]*Resource{}
			for _, r := range p.Resources {
				key := MetadataKey(r.MetadataPath)
				own, _ := canonical.NormalizeAuthority(r.Parsed.Authority())
				md[MetadataAt{hostOnly(own), key}] = r
				for _, a := range r.Authorities {
					byHost[hostOnly(a)] = r
					md[MetadataAt{hostOnly(a), key}] = r
				}
			}
			if !maps.Equal(p.ByHost, byHost) {
				t.Errorf("ByHost = %v\nwant %v", p.ByHost, byHost)
			}
			if !maps.Equal(p.MetadataByHost, md) {
				t.Errorf("MetadataByHost = %v\nwant %v", p.MetadataByHost, md)
			}
			shared := reflect.ValueOf(p.ByHost).UnsafePointer() == reflect.ValueOf(p.ByAuthority).UnsafePointer()
			if shared != (name == "portless") {
				t.Errorf("ByHost shares ByAuthority's map: %v", shared)
			}
		})
	}
}

// FuzzPortless: a normalised authority portless calls port-free is its own
// host form, which is what lets Load share the authority-keyed tables.
func FuzzPortless(f *testing.F) {
	for _, s := range []string{"h", "h:8443", "H.example.COM.", "[::1]", "[::1]:443", "[FE80::1]", "h:", "1.2.3.4:80", "xn--bcher-kva.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := canonical.NormalizeAuthority(s)
		if !ok || !portless(a) {
			return
		}
		if h := hostOnly(a); h != a {
			t.Fatalf("NormalizeAuthority(%q) = %q has no port, but its host form is %q", s, a, h)
		}
	})
}

// Every metadata table key begins with the RFC 9728 well-known prefix: the
// engine looks up no other request path (policy's metadataResource).
func TestMetadataKeysHaveThePrefix(t *testing.T) {
	root := baseConfig(t)
	res(root, 0)["resource"] = "https://mcp.example.com"
	for name, c := range map[string]obj{"tables": tablesConfig(t), "root": root} {
		p := mustLoad(t, c)
		for _, md := range []map[MetadataAt]*Resource{p.Metadata, p.MetadataByHost} {
			if len(md) == 0 {
				t.Fatalf("%s: an empty metadata table", name)
			}
			for k := range md {
				if !strings.HasPrefix(k.Path, canonical.MetadataPrefix) {
					t.Errorf("%s: metadata key %q lacks %q", name, k.Path, canonical.MetadataPrefix)
				}
			}
		}
	}
}
