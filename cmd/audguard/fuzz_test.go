package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/audguard/audguard/filter/config"
)

// FuzzFindSources: any input either yields sources or an error, never a
// panic, and a plugin configuration found in YAML is valid JSON.
func FuzzFindSources(f *testing.F) {
	f.Add([]byte(`{"issuers":[],"resources":[]}`))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("_format_version: \"3.0\"\nservices:\n- name: a\n  routes: [{hosts: [a]}]\n  filter_chains:\n  - filters:\n    - name: audguard\n      config: {mode: report}\n"))
	f.Add([]byte("wasm { module audguard /a.wasm; }\nhttp { proxy_wasm audguard '{\"mode\": \"report\"}'; server { server_name a; location / { proxy_wasm audguard \"x\\\"y\\n\" ; } } }\n"))
	f.Add([]byte("# c\ninclude x;\nhttp { if ($a = 'b') { set $c ${d}e; } }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sources, err := findSources(data)
		if err != nil {
			return
		}
		for _, s := range sources {
			// A string handed to the plugin verbatim (a StringValue, a Kong
			// config, an nginx parameter) may be anything; a mapping
			// rendered by the CLI is JSON.
			if s.Err == nil && s.Kind != kindPlugin && s.Kind != kindNginx && s.value == nil && !json.Valid(s.Config) {
				t.Fatalf("%s: config is not JSON: %q", s.Label, s.Config)
			}
			// Each byte of an nginx parameter maps to a byte of the file,
			// in order.
			if s.offs != nil {
				if len(s.offs) != len(s.Config)+1 {
					t.Fatalf("%s: %d offsets for %d bytes", s.Label, len(s.offs), len(s.Config))
				}
				for i, o := range s.offs {
					if o < 0 || o > len(data) || i > 0 && o <= s.offs[i-1] || i < len(s.Config) && data[o] != s.Config[i] && data[o] != '\\' {
						t.Fatalf("%s: byte %d at file offset %d", s.Label, i, o)
					}
				}
			}
		}
	})
}

// FuzzLoadAll: loadAll never panics, agrees with config.Load on validity,
// and reports the loader's own first refusal first.
func FuzzLoadAll(f *testing.F) {
	for _, file := range []string{"valid.json", "warnings.json", "multi-errors.json", "invalid-canonical.json", "invalid-duplicate.json"} {
		data, err := os.ReadFile("testdata/check/" + file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := loadAll(data)
		_, err := config.Load(data)
		if (err == nil) != (res.plugin != nil) || (err == nil) != (len(res.refusals) == 0) {
			t.Fatalf("config.Load error %v, loadAll plugin %v, %d refusals", err, res.plugin != nil, len(res.refusals))
		}
		if err != nil && res.refusals[0].Error() != asConfigError(err).Error() {
			t.Fatalf("first refusal %q, config.Load %q", res.refusals[0], err)
		}
		if len(res.refusals) > maxRefusals {
			t.Fatalf("%d refusals", len(res.refusals))
		}
	})
}
