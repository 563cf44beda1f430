package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCheckFindings pins every proxy-configuration finding (and a sample of
// the loader's, through loadAll) to its severity, path and place in the
// file, in --json and in the text report.
func TestCheckFindings(t *testing.T) {
	type want struct {
		sev, path string // path: a suffix of the problem's path
		line, col int
		msg       string
	}
	cases := []struct {
		file  string
		wants []want
	}{
		{"envoy-fail-open.yaml", []want{
			{sevError, "http_filters[0].disabled", 31, 13, "disabled by default"},
			{sevError, "config.fail_open", 36, 17, "every request passes through unchecked"},
			{sevError, "http_filters[1]", 80, 13, "comes after the router"},
			{sevError, "config.failure_policy", 85, 33, "is FAIL_OPEN"},
		}},
		{"envoy-bindings.yaml", []want{
			{sevError, "resources[0].virtual_hosts[0]", 55, 89, `virtual host "mcp_x" is not defined by the route configuration "mcp_routes"`},
			{sevError, "resources[0].routes[1]", 55, 127, `route "nope" is not defined`},
			{sevWarning, "resources[1].authorities", 56, 71, "is bound by authority while the route configuration"},
			{sevWarning, "resources[2].authorities[0]", 57, 87, "strip_any_host_port removes the port"},
			{sevWarning, "resources[3].authorities", 58, 71, "prefer virtual_hosts or routes"},
			{sevWarning, "resources[0].authorities[0]", 105, 87, `no virtual host of the route configuration "mcp_routes" (line 80) has a domain matching authority "mcp-z.example.com"`},
		}},
		{"envoy-unhardened.yaml", []want{
			{sevWarning, "typed_config.normalize_path", 12, 11, "is not set"},
			{sevWarning, "typed_config.merge_slashes", 12, 11, "is not set"},
			{sevWarning, "typed_config.path_with_escaped_slashes_action", 12, 11, "is KEEP_UNCHANGED"},
			{sevWarning, "common_http_protocol_options.headers_with_underscores_action", 12, 11, "ALLOW"},
			{sevWarning, "typed_config.strip_any_host_port", 12, 11, "bound by authorities"},
			{sevWarning, "typed_config.strip_trailing_host_dot", 12, 11, "bound by authorities"},
			{sevWarning, "authority_from", 30, 23, `is "host": Envoy's router matched the exact :authority`},
		}},
		{"envoy-syntax.yaml", []want{
			{sevError, "resources[0]", 46, 98, "invalid JSON"},
		}},
		{"istio-fail-open.yaml", []want{
			{sevError, "$.spec.failStrategy", 13, 17, "is FAIL_OPEN"},
		}},
		{"envoyfilter-fail-open.yaml", []want{
			{sevError, "configPatches[0].patch.operation", 13, 18, "is ADD"},
			{sevError, "configPatches[0].patch.value.typed_config.config.fail_open", 20, 13, "is true"},
			{sevError, "configPatches[1].patch.operation", 36, 18, "INSERT_AFTER"},
			{sevError, "configPatches[1].patch.value.typed_config.config.failure_policy", 43, 29, "is FAIL_OPEN"},
			{sevError, "configPatches[2].patch.operation", 58, 18, "is REPLACE of envoy.filters.http.router"},
		}},
		{"kong-problems.yaml", []want{
			{sevError, "filter_chains[0].enabled", 13, 5, "filter chain is disabled"},
			{sevError, "filters[0].enabled", 16, 7, "the filter is disabled"},
			{sevWarning, "authority_from", 19, 11, `is "authority"`},
			{sevWarning, "resources[0].authorities[2]", 23, 120, `"mcp-a.example.org" is not a host of the routes`},
			{sevError, "resources[1].virtual_hosts[0]", 24, 77, "no xds.* properties"},
		}},
		{"nginx-bindings.conf", []want{
			{sevWarning, "authority_from", 15, 9, `is "authority": on ngx_wasm_module (nginx)`},
			{sevError, "issuers[0].jwks_uri", 17, 22, "declares no shm_kv zone named audguard or *"},
			{sevWarning, "resources[0].authorities[2]", 19, 120, `"mcp-a.example.org" is not a server_name of the servers this proxy_wasm runs in (mcp-a.example.com, .mcp-a.example.com, mcp-b.example.com)`},
			{sevError, "resources[1].virtual_hosts[0]", 20, 77, "nginx (ngx_wasm_module) has no xds.* properties"},
		}},
		{"nginx-too-long.conf", []want{
			{sevError, "http.proxy_wasm", 10, 25, "the configuration parameter is 5041 bytes"},
		}},
		{"nginx-escape.conf", []want{
			{sevError, "http.server[0].proxy_wasm", 17, 31, `has the escape \", which nginx turns into "`},
		}},
		{"nginx-missing-module.conf", []want{
			{sevError, "http.server.location.proxy_wasm", 15, 24, `module "audgard" is not loaded by wasm {} (line 5 loads audguard)`},
		}},
		{"nginx-syntax.conf", []want{
			{sevError, "resources[0]", 18, 17, "invalid JSON"},
		}},
		{"multi-errors.json", []want{
			{sevError, "mode", 2, 3, "is not one of"},
			{sevError, "clock_skew_seconds", 3, 3, "from 0 to 300"},
			{sevError, "issuers[0].token_type", 5, 60, "is not one of"},
			{sevError, "issuers[1].jwks", 7, 64, "no usable key"},
			{sevError, "resources[0].resource", 10, 6, "canonical form"},
			{sevError, "resources[1].public_paths[0]", 11, 89, "every path"},
			{sevError, "resources[2].issuers[0]", 12, 63, `no issuer is named "nobody"`},
			{sevError, "resources[2].authorities[0]", 12, 90, "is claimed by resources[0]"},
			{sevError, "resources[2].default", 12, 112, "more than one resource is the default"},
			{sevError, "cache", 15, 3, "unknown member"},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := "testdata/check/" + c.file
			_, js, _ := cli(t, "", "check", "--json", path)
			var rep checkReport
			if err := json.Unmarshal([]byte(js), &rep); err != nil {
				t.Fatal(err)
			}
			var all []problem
			for _, f := range rep.Filters {
				all = append(all, f.Problems...)
			}
			_, text, _ := cli(t, "", "check", path)
			for _, w := range c.wants {
				found := false
				for _, p := range all {
					if p.Severity == w.sev && strings.HasSuffix(p.Path, w.path) && p.Line == w.line && p.Column == w.col && strings.Contains(p.Message, w.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("--json: no %s at %d:%d on %s containing %q in:\n%s", w.sev, w.line, w.col, w.path, w.msg, js)
				}
				seg := w.path[strings.LastIndexAny(w.path, ".]")+1:]
				if seg == "" {
					seg = w.path
				}
				prefix := fmt.Sprintf("%-7s line %d:%d  ", w.sev, w.line, w.col)
				ok := false
				for _, l := range strings.Split(text, "\n") {
					if strings.Contains(l, prefix) && strings.Contains(l, seg) && strings.Contains(l, w.msg) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("text: no line %q … %s … %q in:\n%s", prefix, seg, w.msg, text)
				}
			}
		})
	}
}

// TestCheckFileOrder: within each filter, problems are listed in file
// order, and every problem of a multi-error configuration is reported.
func TestCheckFileOrder(t *testing.T) {
	for _, file := range []string{"multi-errors.json", "envoy-fail-open.yaml", "envoy-bindings.yaml", "kong-problems.yaml", "warnings.json", "nginx-bindings.conf", "nginx-escape.conf"} {
		_, js, _ := cli(t, "", "check", "--json", "testdata/check/"+file)
		var rep checkReport
		if err := json.Unmarshal([]byte(js), &rep); err != nil {
			t.Fatal(err)
		}
		lastFilter := 0
		for _, f := range rep.Filters {
			if f.Line < lastFilter {
				t.Errorf("%s: filter at line %d listed after line %d", file, f.Line, lastFilter)
			}
			lastFilter = f.Line
			for i := 1; i < len(f.Problems); i++ {
				a, b := f.Problems[i-1], f.Problems[i]
				if a.Line > b.Line || a.Line == b.Line && a.Column > b.Column {
					t.Errorf("%s: %s (%d:%d) listed before %s (%d:%d)", file, a.Path, a.Line, a.Column, b.Path, b.Line, b.Column)
				}
			}
		}
	}
	_, js, _ := cli(t, "", "check", "--json", "testdata/check/multi-errors.json")
	var rep checkReport
	_ = json.Unmarshal([]byte(js), &rep)
	// "error" is the refusal the filter itself logs (config.Load checks for
	// unknown top-level members first); "problems" has them all.
	if rep.Errors != 10 || rep.Filters[0].Error == nil || rep.Filters[0].Error.Path != "cache" {
		t.Errorf("multi-errors.json: %d errors, first %+v; want 10, the first refusal at cache", rep.Errors, rep.Filters[0].Error)
	}
}

// TestCheckJSONSyntaxPosition: a JSON syntax error is reported at its line
// and column in the embedding file, for a JSON file and for a StringValue
// block scalar in an Envoy YAML.
func TestCheckJSONSyntaxPosition(t *testing.T) {
	for file, at := range map[string]string{
		"envoy-syntax.yaml":   `"`, // the member after a missing ","
		"nginx-syntax.conf":   `"`, // the same, inside an nginx proxy_wasm parameter
		"invalid-syntax.json": "",  // end of input
	} {
		_, js, _ := cli(t, "", "check", "--json", "testdata/check/"+file)
		var rep checkReport
		if err := json.Unmarshal([]byte(js), &rep); err != nil {
			t.Fatal(err)
		}
		p := rep.Filters[0].Problems[0]
		if p.Line == 0 || p.Column == 0 || !strings.Contains(p.Message, "invalid JSON") {
			t.Fatalf("%s: %+v", file, p)
		}
		data, _ := os.ReadFile("testdata/check/" + file)
		lines := bytes.Split(data, []byte("\n"))
		line := string(lines[p.Line-1])
		got := ""
		if p.Column-1 < len(line) {
			got = line[p.Column-1 : p.Column]
		}
		if got != at {
			t.Errorf("%s: %d:%d points at %q in %q, want %q", file, p.Line, p.Column, got, line, at)
		}
	}
}

// TestRelPath: the text report shortens YAML paths relative to the filter.
func TestRelPath(t *testing.T) {
	label := "$.l[0].hcm.http_filters[1].typed_config"
	for in, want := range map[string]string{
		label + ".config.fail_open":     "config.fail_open",
		"$.l[0].hcm.normalize_path":     "normalize_path",
		"$.l[0].hcm.http_filters[1]":    "http_filters[1]",
		"resources[0].virtual_hosts[0]": "resources[0].virtual_hosts[0]",
		"$.other":                       "$.other",
	} {
		if got := relPath(in, label); got != want {
			t.Errorf("relPath(%q) = %q, want %q", in, got, want)
		}
	}
}
