package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckPublicPathAliases: `audguard check --strict` refuses a public
// path that is the resource's own path in another ASCII case or with
// trailing dots (the loader's refusal, docs/configuration.md#resourcespublic_paths),
// in text and in --json, and says why in the fix line.
func TestCheckPublicPathAliases(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("..", "..", "envoy", "demo-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, public := range []string{"/MCP", "/Mcp/*", "/mcp."} {
		t.Run(public, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			m["resources"].([]any)[0].(map[string]any)["public_paths"] = []string{public}
			b, _ := json.Marshal(m)
			path := filepath.Join(dir, "alias"+string(rune('0'+i))+".json")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, _ := cli(t, "", "check", "--strict", path)
			if code != 2 {
				t.Fatalf("exit %d, want 2; output:\n%s", code, out)
			}
			if !strings.Contains(out, "resources[0].public_paths[0]: ") || !strings.Contains(out, "covers the resource's own path") ||
				!strings.Contains(out, "fix: remove it: an upstream that matches paths regardless of case") {
				t.Errorf("output does not name the path, the refusal and why:\n%s", out)
			}
			code, js, _ := cli(t, "", "check", "--strict", "--json", path)
			var rep checkReport
			if err := json.Unmarshal([]byte(js), &rep); err != nil || code != 2 {
				t.Fatalf("--json: exit %d, err %v", code, err)
			}
			if len(rep.Filters) != 1 || rep.Filters[0].Error == nil || !strings.Contains(rep.Filters[0].Error.Message, "covers the resource's own path") {
				t.Errorf("--json report lacks the refusal: %s", js)
			}
		})
	}
}
