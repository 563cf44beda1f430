package main

import (
	"encoding/json"
	"testing"
)

// FuzzFindSources: any input either yields sources or an error, never a
// panic, and a plugin configuration found in YAML is valid JSON.
func FuzzFindSources(f *testing.F) {
	f.Add([]byte(`{"issuers":[],"resources":[]}`))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sources, err := findSources(data)
		if err != nil {
			return
		}
		for _, s := range sources {
			if s.Err == nil && s.Kind != kindPlugin && s.Kind != kindEnvoy && s.Kind != kindEnvoyFilter && !json.Valid(s.Config) {
				t.Fatalf("%s: config is not JSON: %q", s.Label, s.Config)
			}
		}
	})
}
