package envoy

import (
	"testing"

	"sigs.k8s.io/yaml"
)

// kongConfig is the subset of Kong's declarative format (3.x) the example uses.
type kongConfig struct {
	FormatVersion string `json:"_format_version"`
	Services      []struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Routes []struct {
			Name              string   `json:"name"`
			Hosts             []string `json:"hosts"`
			Paths             []string `json:"paths"`
			StripPath         *bool    `json:"strip_path"`
			PreserveHost      *bool    `json:"preserve_host"`
			RequestBuffering  *bool    `json:"request_buffering"`
			ResponseBuffering *bool    `json:"response_buffering"`
		} `json:"routes"`
		FilterChains []struct {
			Name    string `json:"name"`
			Filters []struct {
				Name   string `json:"name"`
				Config string `json:"config"`
			} `json:"filters"`
		} `json:"filter_chains"`
	} `json:"services"`
}

func TestKongExample(t *testing.T) {
	var kc kongConfig
	if err := yaml.UnmarshalStrict(readFile(t, "kong/kong.yaml"), &kc); err != nil {
		t.Fatalf("parse: %v", err)
	}
	if kc.FormatVersion != "3.0" || len(kc.Services) == 0 {
		t.Fatal("want _format_version 3.0 and services")
	}
	for _, svc := range kc.Services {
		n := 0
		for _, fc := range svc.FilterChains {
			for _, f := range fc.Filters {
				if f.Name != "audguard" {
					continue
				}
				n++
				c := acceptPluginConfig(t, "kong/kong.yaml "+fc.Name, []byte(f.Config))
				requireHostNeutral(t, "kong/kong.yaml", c)
				if c.AuthorityFrom != "host" {
					t.Errorf(`%s: authority_from %q, want "host" spelt out (nginx's $host)`, fc.Name, c.AuthorityFrom)
				}
				// Every resource authority must be a host the service's routes accept.
				hosts := map[string]bool{}
				for _, r := range svc.Routes {
					for _, h := range r.Hosts {
						hosts[h] = true
					}
				}
				for _, r := range c.Resources {
					for _, a := range r.Authorities {
						if !hosts[a] {
							t.Errorf("service %s: authority %s is not one of its route hosts", svc.Name, a)
						}
					}
				}
			}
		}
		if n != 1 {
			t.Errorf("service %s: %d audguard filters, want 1", svc.Name, n)
		}
		// Kong injects nginx_location_* directives (the forwarded-header list
		// of README.md) only into its proxy location "/", which serves routes
		// with both buffering options true; other routes go through
		// @unbuffered* locations that would not forward the MCP headers.
		for _, r := range svc.Routes {
			if r.RequestBuffering == nil || !*r.RequestBuffering || r.ResponseBuffering == nil || !*r.ResponseBuffering {
				t.Errorf("route %s: want request_buffering and response_buffering spelt out as true", r.Name)
			}
		}
	}
}
