package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckRefusals runs `audguard check` on one broken variant of the demo
// configuration per refusal family of docs/configuration.md, docs/configuration.md#keys: each exits 2 and
// names the JSON path and what is wrong, in text and in --json.
func TestCheckRefusals(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("..", "..", "envoy", "demo-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	res := func(m map[string]any, i int) map[string]any { return m["resources"].([]any)[i].(map[string]any) }
	iss := func(m map[string]any) map[string]any { return m["issuers"].([]any)[0].(map[string]any) }
	cases := []struct {
		name, path, msg string
		edit            func(m map[string]any)
		raw             func(s string) string
	}{
		{name: "no issuer", path: "issuers", msg: "no issuer", edit: func(m map[string]any) { m["issuers"] = []any{} }},
		{name: "no resource", path: "resources", msg: "no resource", edit: func(m map[string]any) { m["resources"] = []any{} }},
		{name: "unknown key", path: "modee", msg: "unknown member", edit: func(m map[string]any) { m["modee"] = "enforce" }},
		{name: "duplicate member", path: "mode", msg: "duplicate member",
			raw: func(s string) string { return strings.Replace(s, `"mode"`, `"mode": "report", "mode"`, 1) }},
		{name: "wrong type", path: "clock_skew_seconds", msg: "must be an integer", edit: func(m map[string]any) { m["clock_skew_seconds"] = "60" }},
		{name: "missing required member", path: "resources[0]", msg: `missing required member "resource"`,
			edit: func(m map[string]any) { delete(res(m, 0), "resource") }},
		{name: "skew out of range", path: "clock_skew_seconds", msg: "from 0 to 300", edit: func(m map[string]any) { m["clock_skew_seconds"] = 301 }},
		{name: "max_token_bytes out of range", path: "max_token_bytes", msg: "from 512 to 65536", edit: func(m map[string]any) { m["max_token_bytes"] = 100 }},
		{name: "mode word", path: "mode", msg: "is not one of", edit: func(m map[string]any) { m["mode"] = "block" }},
		{name: "token_type word", path: "issuers[0].token_type", msg: "is not one of", edit: func(m map[string]any) { iss(m)["token_type"] = "jwt" }},
		{name: "audience_match word", path: "resources[0].audience_match", msg: "is not one of",
			edit: func(m map[string]any) { res(m, 0)["audience_match"] = "prefix" }},
		{name: "dangling issuer", path: "resources[0].issuers[0]", msg: "no issuer is named",
			edit: func(m map[string]any) { res(m, 0)["issuers"] = []string{"nobody"} }},
		{name: "non-canonical resource", path: "resources[0].resource", msg: "canonical",
			edit: func(m map[string]any) { res(m, 0)["resource"] = "HTTPS://mcp-a.example.com:443/mcp" }},
		{name: "resource with a query", path: "resources[0].resource", msg: "query",
			edit: func(m map[string]any) { res(m, 0)["resource"] = "https://mcp-a.example.com/mcp?x=1" }},
		{name: "resource with %", path: "resources[0].resource", msg: `"%"`,
			edit: func(m map[string]any) { res(m, 0)["resource"] = "https://mcp-a.example.com/m%20cp" }},
		{name: "metadata paths meet", path: "resources[1].resource", msg: "already served",
			edit: func(m map[string]any) { res(m, 1)["resource"] = "https://mcp-a.example.com/mcp/" }},
		{name: "unreachable resource", path: "resources[0]", msg: "no request can reach it",
			edit: func(m map[string]any) { delete(res(m, 0), "authorities") }},
		{name: "empty route name", path: "resources[0].routes[0]", msg: "must not be empty",
			edit: func(m map[string]any) { res(m, 0)["routes"] = []string{""} }},
		{name: "authority claimed twice", path: "resources[1].authorities[0]", msg: "claimed by",
			edit: func(m map[string]any) { res(m, 1)["authorities"] = []string{"mcp-a.example.com"} }},
		{name: "two defaults", path: "resources[1].default", msg: "more than one resource is the default",
			edit: func(m map[string]any) { res(m, 0)["default"] = true; res(m, 1)["default"] = true }},
		{name: "bad scope", path: "resources[0].required_scopes[0]", msg: "scope-token",
			edit: func(m map[string]any) { res(m, 0)["required_scopes"] = []string{`mcp "tools"`} }},
		{name: "public path /*", path: "resources[0].public_paths[0]", msg: "every path",
			edit: func(m map[string]any) { res(m, 0)["public_paths"] = []string{"/*"} }},
		{name: "public path with dot segment", path: "resources[0].public_paths[0]", msg: `"." or ".."`,
			edit: func(m map[string]any) { res(m, 0)["public_paths"] = []string{"/a/../b"} }},
		{name: "public path covers the resource", path: "resources[0].public_paths[0]", msg: "covers the resource",
			edit: func(m map[string]any) { res(m, 0)["public_paths"] = []string{"/mcp"} }},
		{name: "claim header authorization", path: "resources[0].claim_headers.sub", msg: "may not be set",
			edit: func(m map[string]any) { res(m, 0)["claim_headers"] = map[string]string{"sub": "Authorization"} }},
		{name: "claim header x-forwarded-*", path: "resources[0].claim_headers.sub", msg: "reserved",
			edit: func(m map[string]any) { res(m, 0)["claim_headers"] = map[string]string{"sub": "x-forwarded-user"} }},
		{name: "claim header not a token", path: "resources[0].claim_headers.sub", msg: "token",
			edit: func(m map[string]any) { res(m, 0)["claim_headers"] = map[string]string{"sub": "x user"} }},
		{name: "algorithm none", path: "issuers[0].algorithms[0]", msg: "not a supported JWS algorithm",
			edit: func(m map[string]any) { iss(m)["algorithms"] = []string{"none"} }},
		{name: "key alg outside algorithms leaves no key", path: "issuers[0].jwks", msg: "no usable key",
			edit: func(m map[string]any) { iss(m)["algorithms"] = []string{"PS256"} }},
		{name: "duplicate kid", path: "issuers[0].jwks", msg: "duplicate kid",
			edit: func(m map[string]any) {
				keys := iss(m)["jwks"].(map[string]any)["keys"].([]any)
				keys[1].(map[string]any)["kid"] = keys[0].(map[string]any)["kid"]
			}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := string(base)
			if c.edit != nil {
				var m map[string]any
				if err := json.Unmarshal(base, &m); err != nil {
					t.Fatal(err)
				}
				c.edit(m)
				b, _ := json.Marshal(m)
				text = string(b)
			}
			if c.raw != nil {
				text = c.raw(text)
			}
			path := filepath.Join(dir, strings.NewReplacer(" ", "-", "/", "_", "*", "_", "%", "_").Replace(c.name)+".json")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, _ := cli(t, "", "check", path)
			if code != 2 {
				t.Fatalf("exit %d, want 2; output:\n%s", code, out)
			}
			if !strings.Contains(out, c.path+": ") || !strings.Contains(out, c.msg) {
				t.Errorf("output does not name %q and %q:\n%s", c.path, c.msg, out)
			}
			if !strings.Contains(out, "fix: ") {
				t.Errorf("no fix in:\n%s", out)
			}
			code, js, _ := cli(t, "", "check", "--json", path)
			var rep checkReport
			if err := json.Unmarshal([]byte(js), &rep); err != nil || code != 2 {
				t.Fatalf("--json: exit %d, err %v", code, err)
			}
			if len(rep.Filters) != 1 || rep.Filters[0].Error == nil || !strings.Contains(rep.Filters[0].Error.Message, c.msg) {
				t.Errorf("--json report lacks the refusal: %s", js)
			}
		})
	}
}
