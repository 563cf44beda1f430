package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestCheckGolden checks `audguard check` on valid, warning and invalid
// configurations in every input form, text and JSON, and the exit codes.
func TestCheckGolden(t *testing.T) {
	cases := []struct {
		file             string
		code, strictCode int
		flags            []string // before the file (the golden is <file>.golden all the same)
	}{
		{"valid.json", 0, 0, nil},
		{"warnings.json", 0, 1, nil},
		{"dpop.json", 0, 0, nil}, // each resource's DPoP settings when not off
		{"invalid-canonical.json", 2, 2, nil},
		{"invalid-public-path.json", 2, 2, nil},
		{"invalid-duplicate.json", 2, 2, nil},
		{"invalid-syntax.json", 2, 2, nil},
		{"envoy-two-filters.yaml", 2, 2, nil},
		{"istio-two-docs.yaml", 2, 2, nil},
		{"no-filter.yaml", 2, 2, nil},
		{"missing-file.json", 2, 2, nil},
		{"multi-errors.json", 2, 2, nil},
		{"envoy-fail-open.yaml", 2, 2, nil},
		{"envoy-bindings.yaml", 2, 2, nil},
		{"envoy-unhardened.yaml", 0, 1, nil},
		{"envoy-syntax.yaml", 2, 2, nil},
		{"istio-fail-open.yaml", 2, 2, nil},
		{"envoyfilter-fail-open.yaml", 2, 2, nil},
		// What the proxies' own API types refuse (typed.go): errors; an
		// unknown field in an EnvoyFilter patch value, which istiod drops,
		// is a warning.
		{"envoy-fail-close.yaml", 2, 2, nil},
		{"envoy-misspelt-key.yaml", 2, 2, nil},
		{"envoy-bad-any.yaml", 2, 2, nil},
		{"istio-bad-enums.yaml", 2, 2, nil},
		{"envoyfilter-unknown-field.yaml", 0, 1, nil},
		{"kong-problems.yaml", 2, 2, nil},
		// nginx-example.conf is a copy of envoy/kong/nginx.conf
		// (TestCheckShippedExamplesStrict checks the file itself).
		{"nginx-example.conf", 0, 0, nil},
		{"nginx-too-long.conf", 2, 2, nil},
		{"nginx-escape.conf", 2, 2, nil},
		{"nginx-missing-module.conf", 2, 2, nil},
		{"nginx-syntax.conf", 2, 2, nil},
		{"nginx-quote.conf", 2, 2, nil},
		{"nginx-bindings.conf", 2, 2, nil},
		// Valid as a plugin configuration (TestCheckTargetNginx), too long
		// for the nginx parameter it is wrapped into.
		{"target-nginx.json", 2, 2, []string{"--target", "nginx"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := "testdata/check/" + c.file
			args := func(more ...string) []string {
				return append(append(append([]string{"check"}, c.flags...), more...), path)
			}
			code, out, _ := cli(t, "", args()...)
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			golden(t, "check/"+c.file+".golden", out)
			if code, _, _ := cli(t, "", args("--strict")...); code != c.strictCode {
				t.Errorf("--strict: exit %d, want %d", code, c.strictCode)
			}
			code, out, _ = cli(t, "", args("--json")...)
			if code != c.code {
				t.Errorf("--json: exit %d, want %d", code, c.code)
			}
			var rep checkReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("--json output is not JSON: %v", err)
			}
			golden(t, "check/"+c.file+".json.golden", out)
		})
	}
}

// TestCheckWarnings: every warning the brief lists appears for warnings.json.
func TestCheckWarnings(t *testing.T) {
	_, out, _ := cli(t, "", "check", "--json", "testdata/check/warnings.json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rep.Filters[0].Warnings, "\n")
	for _, want := range []string{
		`resources[0].resource: resource "http://mcp.example.com/mcp/" ends with "/"`,
		"uses plain http",
		"issuers[1].algorithms[0]: HS256 verifies with a shared secret",
		"clock_skew_seconds: a leeway of 200 s",
		"resources[0].exclusive_audience:",
		"mode: report mode never blocks",
		`resources[0].routes[0]: route name "default"`,
		`resources[0].virtual_hosts[0]: virtual host name contains "*"`,
		`resources[0].authorities[0]: authority "mcp.internal:8080" differs`,
		`resources[0].scopes_supported[1]: "offline_access" is not published`,
		`resources[0].audience_match: "canonical"`,
		`issuers[0].token_type: "any" does not check typ`,
		"resources[0].forward_token: the upstream MCP server receives the access token",
		`resources[0].allowed_origins: ["*"]: the Origin header is not checked`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing warning %q in:\n%s", want, all)
		}
	}
}

// TestCheckNoKeyMaterial: key material (RSA modulus, EC coordinates, an HS
// secret) never appears in check output.
func TestCheckNoKeyMaterial(t *testing.T) {
	for _, file := range []string{"valid.json", "warnings.json"} {
		data, err := os.ReadFile("testdata/check/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Issuers []struct {
				JWKS struct {
					Keys []map[string]any `json:"keys"`
				} `json:"jwks"`
			} `json:"issuers"`
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatal(err)
		}
		for _, flags := range [][]string{nil, {"--json"}} {
			_, out, _ := cli(t, "", append(append([]string{"check"}, flags...), "testdata/check/"+file)...)
			for _, is := range cfg.Issuers {
				for _, k := range is.JWKS.Keys {
					for _, m := range []string{"n", "x", "y", "k"} {
						if v, ok := k[m].(string); ok && strings.Contains(out, v[:16]) {
							t.Errorf("%s %v: output shows JWK member %q", file, flags, m)
						}
					}
				}
			}
		}
	}
}

// TestCheckShippedExamplesStrict: every shipped example configuration is
// found, and passes `audguard check --strict` (no error, no warning), in
// text and --json.
func TestCheckShippedExamplesStrict(t *testing.T) {
	for file, kind := range map[string]string{
		"../../envoy/envoy.yaml":             kindEnvoy,
		"../../envoy/demo-config.json":       kindPlugin,
		"../../envoy/istio/wasmplugin.yaml":  kindWasmPlugin,
		"../../envoy/istio/envoyfilter.yaml": kindEnvoyFilter,
		"../../envoy/kong/kong.yaml":         kindKong,
		"../../envoy/kong/nginx.conf":        kindNginx,
	} {
		t.Run(file, func(t *testing.T) {
			code, out, _ := cli(t, "", "check", "--strict", file)
			if code != 0 {
				t.Errorf("check --strict: exit %d\n%s", code, out)
			}
			code, out, _ = cli(t, "", "check", "--strict", "--json", file)
			var rep checkReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if code != 0 || rep.Status != "ok" || len(rep.Filters) == 0 {
				t.Errorf("--json: exit %d, report %s", code, out)
			}
			for _, f := range rep.Filters {
				if f.Kind != kind || !f.Valid || len(f.Problems) != 0 {
					t.Errorf("%s: kind %q valid %v problems %v", f.Source, f.Kind, f.Valid, f.Problems)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"check"}, {"check", "a", "b"}, {"explain", "tok"}, {"token"}, {"token", "mint"}} {
		if code, _, _ := cli(t, "", args...); code != exitInvalid {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	code, out, _ := cli(t, "", "help")
	if code != 0 || !strings.Contains(out, "FOR DEMOS AND TESTS ONLY") {
		t.Errorf("help: %d %s", code, out)
	}
}
