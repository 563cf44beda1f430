package main

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const routesFixture = "testdata/explain/envoy-routes.yaml"

// TestExplainEnvoyRouting: without --route and --vhost, explain picks the
// virtual host and the route from --authority and --path as Envoy's router
// does, says when it cannot decide, and notices a route that disables the
// filter.
func TestExplainEnvoyRouting(t *testing.T) {
	cases := []struct {
		authority, path string
		vhost, route    string // as printed on the request line
		line            string // a proxy line that must appear
		code            int
	}{
		{"api.example.com", "/mcp", `"exact"`, `"r_path"`, `domain "api.example.com" (exact match)`, 1},
		{"API.Example.COM", "/v2/mcp?x=1", `"exact"`, `"r_regex"`, `safe_regex "/v[0-9]+/mcp"`, 1},
		{"api.example.com", "/v2/mcpx", "(none)", "(none)", `no route of virtual host "exact" matches GET /v2/mcpx`, 1},
		{"api.example.com", "/tools", `"exact"`, `"r_sep"`, `path_separated_prefix "/tools"`, 1},
		{"api.example.com", "/tools/list", `"exact"`, `"r_sep"`, `path_separated_prefix "/tools"`, 1},
		{"api.example.com", "/toolsx", "(none)", "(none)", "no route of virtual host", 1},
		{"api.example.com", "/case/x", `"exact"`, `"r_ci"`, `prefix "/CASE"`, 1},
		{"api.example.com", "/hdr", `"exact"`, "(none)", `cannot decide the route: route "r_hdr" matches the path (prefix "/hdr") but also matches on headers`, 1},
		{"api.example.com", "/api/x", `"exact"`, `"r_api"`, `route "r_api": routes[6], prefix "/api"`, 1},
		{"api.example.com:8443", "/mcp", `"exact"`, `"r_path"`, `domain "api.example.com:8443" (exact match)`, 1},
		{"api.example.com:9999", "/", `"prefix_short"`, `"prefix_short"`, `domain "api.*" (prefix wildcard match)`, 1},
		{"x.eu.example.com", "/", `"suffix_long"`, `"suffix_long"`, `domain "*.eu.example.com" (suffix wildcard match)`, 1},
		{"x.example.com", "/", `"suffix_short"`, `"suffix_short"`, `domain "*.example.com" (suffix wildcard match)`, 1},
		{"api.eu.example.org", "/", `"prefix_long"`, `"prefix_long"`, `domain "api.eu.*" (prefix wildcard match)`, 1},
		{"api.example.org", "/", `"prefix_short"`, `"prefix_short"`, `domain "api.*"`, 1},
		{".example.com", "/", `"catch_all"`, `"catch_all"`, `domain "*" (catch-all match)`, 1},
		{"other.test", "/", `"catch_all"`, `"catch_all"`, `domain "*" (catch-all match)`, 1},
		{"api.example.com", "/healthz", `"exact"`, `"r_health"`, `route "r_health": routes[5], path "/healthz"`, 0},
	}
	for _, c := range cases {
		t.Run(c.authority+c.path, func(t *testing.T) {
			code, out, errOut := cli(t, "", "explain", "--config", routesFixture, "--now", "1750000000", "--authority", c.authority, "--path", c.path, "")
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			req := "route " + c.route + ", virtual host " + c.vhost
			if !strings.Contains(out, req) || !strings.Contains(out, c.line) {
				t.Errorf("want %q and %q in:\n%s", req, c.line, out)
			}
			if c.route == `"r_health"` && !strings.Contains(out, "result   not checked: the route's typed_per_filter_config disables the filter \"audguard\"") {
				t.Errorf("disabled route not reported:\n%s", out)
			}
		})
	}
	// --route / --vhost still win over the route configuration.
	_, out, _ := cli(t, "", "explain", "--config", routesFixture, "--now", "1750000000", "--authority", "api.example.com", "--path", "/hdr", "--route", "r_hdr", "--vhost", "exact", "")
	if !strings.Contains(out, `route "r_hdr", virtual host "exact"`) || strings.Contains(out, "cannot decide") {
		t.Errorf("--route/--vhost ignored:\n%s", out)
	}
}

// TestExplainEnvoyGolden: the full output of a routed, a rewritten and an
// undecided request through the shipped envoy.yaml and the fixture.
func TestExplainEnvoyGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"envoy_routed":    {"--config", "../../envoy/envoy.yaml", "--authority", "mcp-b.example.com", "--path", "/reports/mcp"},
		"envoy_rewritten": {"--config", "../../envoy/envoy.yaml", "--authority", "MCP-A.example.com.:443"},
		"envoy_disabled":  {"--config", "../../envoy/envoy.yaml", "--path", "/healthz"},
		"envoy_undecided": {"--config", routesFixture, "--authority", "api.example.com", "--path", "/hdr"},
		"envoy_no_vhost":  {"--config", "testdata/explain/envoy-no-catchall.yaml", "--authority", "elsewhere.example.com"},
		"nginx_kong":      {"--config", "../../envoy/kong/kong.yaml", "--filter", "$.services[1].filter_chains[0].filters[0]", "--authority", "mcp-b.example.com:8000", "--path", "/mcp"},
		"authority_from":  {"--config", "../../envoy/demo-config.json", "--authority-from", "host", "--authority", "mcp-b.example.com:8443"},
	} {
		t.Run(name, func(t *testing.T) {
			_, out, errOut := cli(t, "", append(append([]string{"explain", "--now", "1750000000"}, args...), "")...)
			if errOut != "" {
				t.Fatalf("stderr: %s", errOut)
			}
			golden(t, "explain/"+name+".golden", out)
		})
	}
}

// TestExplainProxyFlags: --proxy and --authority-from are checked.
func TestExplainProxyFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--proxy", "apache"},
		{"--authority-from", "sni"},
		{"--proxy", "nginx", "--route", "r"},
	} {
		if code, _, _ := cli(t, "", append(append([]string{"explain", "--config", "../../envoy/demo-config.json"}, args...), "")...); code != exitInvalid {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	// nginx: the Host is compared without its port (authority_from auto).
	_, out, _ := cli(t, "", "explain", "--config", "../../envoy/demo-config.json", "--proxy", "nginx", "--authority", "mcp-b.example.com:8443", "--now", "1750000000", "")
	if !strings.Contains(out, "https://mcp-b.example.com/mcp (by authority \"mcp-b.example.com\" from the nginx $host)") {
		t.Errorf("nginx: %s", out)
	}
	// envoy: the exact :authority; with a port it is another authority.
	_, out, _ = cli(t, "", "explain", "--config", "../../envoy/demo-config.json", "--authority", "mcp-b.example.com:8443", "--now", "1750000000", "")
	if !strings.Contains(out, "reason unmatched_resource") {
		t.Errorf("envoy: %s", out)
	}
}

// TestRouteTableMatch: Envoy's domain search order.
func TestRouteTableMatch(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(`
name: rc
virtual_hosts:
- {name: exact, domains: ["a.example.com"]}
- {name: suffix, domains: ["*.example.com", "*-b.example.com"]}
- {name: prefix, domains: ["a.*", "a.example.*"]}
- {name: star, domains: ["*"]}
`), &doc); err != nil {
		t.Fatal(err)
	}
	rt := readRouteTable(doc.Content[0], "$")
	for host, want := range map[string]string{
		"a.example.com":     "exact a.example.com",
		"A.EXAMPLE.COM":     "exact a.example.com",
		"x-b.example.com":   "suffix *-b.example.com", // longest suffix first
		"x.example.com":     "suffix *.example.com",
		"-b.example.com":    "suffix *.example.com", // "*" never matches the empty string
		"a.example.org":     "prefix a.example.*",
		"a.b":               "prefix a.*",
		"a.example.com:443": "prefix a.example.*", // the port is part of the host
		"b.org":             "star *",
	} {
		hm, ok := rt.match(host)
		if got := hm.vh.name + " " + hm.domain; !ok || got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
	rt.ignorePort = true
	if hm, _ := rt.match("a.example.com:443"); hm.vh.name != "exact" {
		t.Errorf("ignore_port_in_host_matching: %s", hm.vh.name)
	}
	rt.vhosts = rt.vhosts[:1]
	if _, ok := rt.match("b.org"); ok {
		t.Error("no catch-all: b.org matched")
	}
}

// TestExplainUnknownKid: for an unknown key, explain names the token's kid
// and the configured kids (configuration, not secrets), and still never the
// token's payload or signature.
func TestExplainUnknownKid(t *testing.T) {
	cfgPath, a, _, _ := explainFixture(t)
	tok, err := a.Sign(baseClaims(), map[string]any{"kid": "rotated-2"})
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := cli(t, "", "explain", "--config", cfgPath, "--now", "1750000000", tok)
	if code != 1 || !strings.Contains(out, `note  key ids            token kid "rotated-2" (alg "ES256"); issuer a has "k1" ES256`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
	for _, p := range strings.Split(tok, ".")[1:] {
		if strings.Contains(out, p) {
			t.Error("output shows a token part")
		}
	}
	good, _ := a.Sign(baseClaims(), nil)
	if _, out, _ := cli(t, "", "explain", "--config", cfgPath, "--now", "1750000000", good); strings.Contains(out, "key ids") {
		t.Errorf("kid note without an unknown key:\n%s", out)
	}
}
