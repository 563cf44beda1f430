package docs

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
)

const schemaFile = "audguard.schema.json"

// loadSchema resolves audguard.schema.json, checking every "default" against
// its own subschema.
func loadSchema(t *testing.T) *jsonschema.Resolved {
	t.Helper()
	var s jsonschema.Schema
	if err := json.Unmarshal(readFile(t, schemaFile), &s); err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("%s: $schema %q, want draft 2020-12", schemaFile, s.Schema)
	}
	rs, err := s.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	return rs
}

func validate(rs *jsonschema.Resolved, data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return rs.Validate(v)
}

// orderedKeys returns the member names of a JSON object in document order.
func orderedKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %.40s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// schemaObject follows a property's "items" and "$ref" (within $defs) to the
// object schema that lists its "properties".
func schemaObject(t *testing.T, root map[string]json.RawMessage, s map[string]json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	for {
		if items, ok := s["items"]; ok {
			s = decodeObject(t, items)
			continue
		}
		if ref, ok := s["$ref"]; ok {
			var r string
			_ = json.Unmarshal(ref, &r)
			name, ok := strings.CutPrefix(r, "#/$defs/")
			if !ok {
				t.Fatalf("unexpected $ref %q", r)
			}
			s = decodeObject(t, decodeObject(t, root["$defs"])[name])
			continue
		}
		return s
	}
}

func decodeObject(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSchemaKeys: the schema's properties are exactly config.Keys() — the
// loader's table of keys — in table order, at the top level, in issuers[] and
// in resources[]; and every object of the configuration is closed
// (additionalProperties false).
func TestSchemaKeys(t *testing.T) {
	root := decodeObject(t, readFile(t, schemaFile))
	var got []string
	if string(root["additionalProperties"]) != "false" {
		t.Error("top level: additionalProperties is not false")
	}
	top := orderedKeys(t, root["properties"])
	got = append(got, top...)
	props := decodeObject(t, root["properties"])
	for _, list := range []string{"issuers", "resources"} {
		obj := schemaObject(t, root, decodeObject(t, props[list]))
		if string(obj["additionalProperties"]) != "false" {
			t.Errorf("%s[]: additionalProperties is not false", list)
		}
		for _, k := range orderedKeys(t, obj["properties"]) {
			got = append(got, list+"[]."+k)
		}
	}
	if want := config.Keys(); !slices.Equal(got, want) {
		t.Errorf("schema properties differ from config.Keys():\n got %q\nwant %q", got, want)
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("missing from the schema: %s", k)
			}
		}
		for _, k := range got {
			if !slices.Contains(want, k) {
				t.Errorf("in the schema, unknown to the loader: %s", k)
			}
		}
	}
	// operations[] entries are closed too.
	res := schemaObject(t, root, decodeObject(t, props["resources"]))
	op := schemaObject(t, root, decodeObject(t, decodeObject(t, res["properties"])["operations"]))
	if string(op["additionalProperties"]) != "false" || !slices.Equal(orderedKeys(t, op["properties"]), []string{"method", "name", "scopes"}) {
		t.Error("operations[]: want a closed object of method, name, scopes")
	}
}

// TestShippedExamplesValidate: every plugin configuration shipped under
// envoy/ is accepted by the loader and valid under the schema, and so is its
// normalised form (every default written out, config.Plugin.JSON).
func TestShippedExamplesValidate(t *testing.T) {
	rs := loadSchema(t)
	examples := shippedExamples(t)
	if len(examples) < 7 {
		t.Errorf("found %d shipped configurations, want at least 7 (demo, envoy.yaml, two Istio, two Kong, nginx)", len(examples))
	}
	for _, ex := range examples {
		p, err := config.Load(ex.data)
		if err != nil {
			t.Errorf("%s: the loader refuses it: %v", ex.where, err)
			continue
		}
		if err := validate(rs, ex.data); err != nil {
			t.Errorf("%s: not valid under %s: %v", ex.where, schemaFile, err)
		}
		if err := validate(rs, p.JSON()); err != nil {
			t.Errorf("%s: normalised form not valid under %s: %v", ex.where, schemaFile, err)
		}
	}
}

// A valid configuration the agreement table mutates. The key is the TEST-ONLY
// EC key of e2e/keys (public part).
const baseConfig = `{
  "issuers": [{"name": "corp", "issuer": "https://auth.example.com",
    "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "e2e-ec-1", "alg": "ES256", "use": "sig",
      "x": "7xoF-xCaLw-N9si65uxuJ9UFeThaenGdJPpCVkq18ys", "y": "OGvZkbg8C2faP9PWpnttaPt5bF9FrPaNB8cbG47Ztvk"}]}}],
  "resources": [{"resource": "https://mcp.example.com/mcp", "authorities": ["mcp.example.com"]}]
}`

type obj = map[string]any
type arr = []any

func mutate(t *testing.T, f func(top obj, is obj, res obj)) []byte {
	t.Helper()
	var top obj
	if err := json.Unmarshal([]byte(baseConfig), &top); err != nil {
		t.Fatal(err)
	}
	f(top, top["issuers"].(arr)[0].(obj), top["resources"].(arr)[0].(obj))
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func remote(is obj) {
	delete(is, "jwks")
	is["jwks_uri"] = "https://auth.example.com/jwks"
	is["jwks_cluster"] = "auth"
}

// TestSchemaAgreesWithLoader: for each configuration, the loader (with the
// engine the filter builds at start) and the schema give the same verdict.
// The refused cases cover every key family; the accepted ones the spellings
// a too-strict pattern would wrongly refuse.
func TestSchemaAgreesWithLoader(t *testing.T) {
	rs := loadSchema(t)
	many := make(arr, 10001)
	for i := range many {
		many[i] = "jti-" + itoa(i)
	}
	cases := []struct {
		name  string
		valid bool
		f     func(top, is, res obj)
	}{
		{"base", true, func(top, is, res obj) {}},
		// top level
		{"unknown member", false, func(top, is, res obj) { top["cache"] = 1 }},
		{"mode report", true, func(top, is, res obj) { top["mode"] = "report" }},
		{"mode word", false, func(top, is, res obj) { top["mode"] = "block" }},
		{"mode null", false, func(top, is, res obj) { top["mode"] = nil }},
		{"authority_from host", true, func(top, is, res obj) { top["authority_from"] = "host" }},
		{"authority_from word", false, func(top, is, res obj) { top["authority_from"] = "header" }},
		{"clock skew 300", true, func(top, is, res obj) { top["clock_skew_seconds"] = 300 }},
		{"clock skew 301", false, func(top, is, res obj) { top["clock_skew_seconds"] = 301 }},
		{"clock skew fraction", false, func(top, is, res obj) { top["clock_skew_seconds"] = 60.5 }},
		{"clock skew string", false, func(top, is, res obj) { top["clock_skew_seconds"] = "60" }},
		{"max token 511", false, func(top, is, res obj) { top["max_token_bytes"] = 511 }},
		{"max token 65536", true, func(top, is, res obj) { top["max_token_bytes"] = 65536 }},
		{"cache 0", true, func(top, is, res obj) { top["cache_size"] = 0 }},
		{"cache negative", false, func(top, is, res obj) { top["cache_size"] = -1 }},
		{"shared slots 65537", false, func(top, is, res obj) { top["shared_cache_slots"] = 65537 }},
		{"no issuers", false, func(top, is, res obj) { top["issuers"] = arr{} }},
		{"issuers missing", false, func(top, is, res obj) { delete(top, "issuers") }},
		{"no resources", false, func(top, is, res obj) { top["resources"] = arr{} }},
		// issuers[]
		{"issuer unknown member", false, func(top, is, res obj) { is["kid"] = "x" }},
		{"issuer name missing", false, func(top, is, res obj) { delete(is, "name") }},
		{"issuer name empty", false, func(top, is, res obj) { is["name"] = "" }},
		{"algorithms empty", false, func(top, is, res obj) { is["algorithms"] = arr{} }},
		{"algorithms none", false, func(top, is, res obj) { is["algorithms"] = arr{"none"} }},
		{"algorithms lower case", false, func(top, is, res obj) { is["algorithms"] = arr{"es256"} }},
		{"algorithms repeated", false, func(top, is, res obj) { is["algorithms"] = arr{"ES256", "ES256"} }},
		{"algorithms ES256 Ed25519", true, func(top, is, res obj) { is["algorithms"] = arr{"ES256", "Ed25519"} }},
		{"token_type any", true, func(top, is, res obj) { is["token_type"] = "any" }},
		{"token_type jwt", false, func(top, is, res obj) { is["token_type"] = "JWT" }},
		{"required claims", true, func(top, is, res obj) { is["required_claims"] = arr{"sub", "client_id"} }},
		{"required claims empty name", false, func(top, is, res obj) { is["required_claims"] = arr{""} }},
		{"no keys at all", false, func(top, is, res obj) { delete(is, "jwks") }},
		{"jwks as a string", true, func(top, is, res obj) {
			b, _ := json.Marshal(is["jwks"])
			is["jwks"] = string(b)
		}},
		{"jwks not a set", false, func(top, is, res obj) { is["jwks"] = arr{} }},
		{"jwks without keys", false, func(top, is, res obj) { is["jwks"] = obj{} }},
		{"jwks_uri", true, remoteCase(func(is obj) {})},
		{"jwks_uri with jwks", true, func(top, is, res obj) { is["jwks_uri"] = "https://auth.example.com/jwks"; is["jwks_cluster"] = "auth" }},
		{"jwks_uri loopback http", true, remoteCase(func(is obj) { is["jwks_uri"] = "http://127.0.0.1:8080/jwks?v=1" })},
		{"jwks_uri localhost http", true, remoteCase(func(is obj) { is["jwks_uri"] = "http://localhost/jwks" })},
		{"jwks_uri upper-case scheme", true, remoteCase(func(is obj) { is["jwks_uri"] = "HTTPS://Auth.Example.com/jwks" })},
		{"jwks_uri plain http", false, remoteCase(func(is obj) { is["jwks_uri"] = "http://auth.example.com/jwks" })},
		{"jwks_uri fragment", false, remoteCase(func(is obj) { is["jwks_uri"] = "https://auth.example.com/jwks#k" })},
		{"jwks_uri space", false, remoteCase(func(is obj) { is["jwks_uri"] = "https://auth.example.com/my jwks" })},
		{"jwks_uri other scheme", false, remoteCase(func(is obj) { is["jwks_uri"] = "ftp://auth.example.com/jwks" })},
		{"jwks_uri without cluster", false, remoteCase(func(is obj) { delete(is, "jwks_cluster") })},
		{"jwks_cluster without uri", false, func(top, is, res obj) { is["jwks_cluster"] = "auth" }},
		{"jwks_timeout_ms without uri", false, func(top, is, res obj) { is["jwks_timeout_ms"] = 1000 }},
		{"jwks_cluster with space", false, remoteCase(func(is obj) { is["jwks_cluster"] = "auth cluster" })},
		{"jwks_refresh 60", true, remoteCase(func(is obj) { is["jwks_refresh_seconds"] = 60 })},
		{"jwks_refresh 59", false, remoteCase(func(is obj) { is["jwks_refresh_seconds"] = 59 })},
		{"jwks_refetch_min 3601", false, remoteCase(func(is obj) { is["jwks_refetch_min_seconds"] = 3601 })},
		{"jwks_timeout 30001", false, remoteCase(func(is obj) { is["jwks_timeout_ms"] = 30001 })},
		{"jwks_max_stale 0", true, remoteCase(func(is obj) { is["jwks_max_stale_seconds"] = 0 })},
		{"jwks_max_stale negative", false, remoteCase(func(is obj) { is["jwks_max_stale_seconds"] = -1 })},
		{"HS256 with jwks_uri", false, remoteCase(func(is obj) { is["algorithms"] = arr{"HS256"} })},
		{"revoked key ids", true, func(top, is, res obj) { is["revoked_key_ids"] = arr{"old-1", "old-2"} }},
		{"revoked key id empty", false, func(top, is, res obj) { is["revoked_key_ids"] = arr{""} }},
		{"revoked key id repeated", false, func(top, is, res obj) { is["revoked_key_ids"] = arr{"a", "a"} }},
		{"revoked token ids 10001", false, func(top, is, res obj) { is["revoked_token_ids"] = many }},
		{"revoked token ids 10000", true, func(top, is, res obj) { is["revoked_token_ids"] = many[:10000] }},
		{"reject_issued_before", true, func(top, is, res obj) { is["reject_issued_before"] = 1767225600 }},
		{"reject_issued_before 0", false, func(top, is, res obj) { is["reject_issued_before"] = 0 }},
		{"two issuers, resource names none", false, func(top, is, res obj) {
			two := obj{}
			for k, v := range is {
				two[k] = v
			}
			two["name"], two["issuer"] = "other", "https://other.example.com"
			top["issuers"] = arr{is, two}
		}},
		{"two issuers, resource names one", true, func(top, is, res obj) {
			two := obj{}
			for k, v := range is {
				two[k] = v
			}
			two["name"], two["issuer"] = "other", "https://other.example.com"
			top["issuers"] = arr{is, two}
			res["issuers"] = arr{"other"}
		}},
		// resources[]
		{"resource unknown member", false, func(top, is, res obj) { res["audience"] = "x" }},
		{"resource missing", false, func(top, is, res obj) { delete(res, "resource") }},
		{"resource percent", false, func(top, is, res obj) { res["resource"] = "https://mcp.example.com/m%63p" }},
		{"resource query", false, func(top, is, res obj) { res["resource"] = "https://mcp.example.com/mcp?x=1" }},
		{"resource fragment", false, func(top, is, res obj) { res["resource"] = "https://mcp.example.com/mcp#x" }},
		{"resource userinfo", false, func(top, is, res obj) { res["resource"] = "https://u@mcp.example.com/mcp" }},
		{"resource upper-case host", false, func(top, is, res obj) { res["resource"] = "https://MCP.example.com/mcp" }},
		{"resource upper-case scheme", false, func(top, is, res obj) { res["resource"] = "HTTPS://mcp.example.com/mcp" }},
		{"resource root slash", false, func(top, is, res obj) { res["resource"] = "https://mcp.example.com/" }},
		{"resource root", true, func(top, is, res obj) { res["resource"] = "https://mcp.example.com" }},
		{"resource default port", false, func(top, is, res obj) { res["resource"] = "https://mcp.example.com:443/mcp" }},
		{"resource http default port", false, func(top, is, res obj) { res["resource"] = "http://localhost:80/mcp" }},
		{"resource other port", true, func(top, is, res obj) { res["resource"] = "https://mcp.example.com:8443/mcp" }},
		{"resource dot segment", false, func(top, is, res obj) { res["resource"] = "https://mcp.example.com/a/../mcp" }},
		{"resource trailing slash", true, func(top, is, res obj) { res["resource"] = "https://mcp.example.com/mcp/" }},
		{"resource http loopback", true, func(top, is, res obj) { res["resource"] = "http://localhost:8080/mcp" }},
		{"resource IPv6", true, func(top, is, res obj) { res["resource"] = "https://[::1]:8443/mcp" }},
		{"resource ftp", false, func(top, is, res obj) { res["resource"] = "ftp://mcp.example.com/mcp" }},
		{"resource at in path", false, func(top, is, res obj) { res["resource"] = "https://mcp.example.com/a@b" }},
		{"name", true, func(top, is, res obj) { res["name"] = "weather-1_a" }},
		{"name upper case", false, func(top, is, res obj) { res["name"] = "Weather" }},
		{"name 49 bytes", false, func(top, is, res obj) { res["name"] = strings.Repeat("a", 49) }},
		{"name empty", false, func(top, is, res obj) { res["name"] = "" }},
		{"no mapping", false, func(top, is, res obj) { delete(res, "authorities") }},
		{"empty authorities only", false, func(top, is, res obj) { res["authorities"] = arr{} }},
		{"default false only", false, func(top, is, res obj) { delete(res, "authorities"); res["default"] = false }},
		{"default only", true, func(top, is, res obj) { delete(res, "authorities"); res["default"] = true }},
		{"routes only", true, func(top, is, res obj) { delete(res, "authorities"); res["routes"] = arr{"r1"} }},
		{"virtual hosts only", true, func(top, is, res obj) { delete(res, "authorities"); res["virtual_hosts"] = arr{"v1"} }},
		{"default string", false, func(top, is, res obj) { res["default"] = "true" }},
		{"authorities spellings", true, func(top, is, res obj) {
			res["authorities"] = arr{"MCP.Example.com:443", "mcp.example.com.:8443", "[::1]:8080", "10.0.0.1"}
		}},
		{"authority with space", false, func(top, is, res obj) { res["authorities"] = arr{"mcp example.com"} }},
		{"authority with path", false, func(top, is, res obj) { res["authorities"] = arr{"mcp.example.com/mcp"} }},
		{"authority repeated", false, func(top, is, res obj) { res["authorities"] = arr{"mcp.example.com", "mcp.example.com"} }},
		{"issuers empty", false, func(top, is, res obj) { res["issuers"] = arr{} }},
		{"required scopes", true, func(top, is, res obj) { res["required_scopes"] = arr{"mcp:tools", "files.read"} }},
		{"required scope with space", false, func(top, is, res obj) { res["required_scopes"] = arr{"mcp tools"} }},
		{"required scope with quote", false, func(top, is, res obj) { res["required_scopes"] = arr{`mcp"tools`} }},
		{"required offline_access", false, func(top, is, res obj) { res["required_scopes"] = arr{"mcp:tools", "offline_access"} }},
		{"scope_implies", true, func(top, is, res obj) {
			res["scope_implies"] = obj{"mcp:admin": arr{"mcp:write"}, "mcp:write": arr{"mcp:read", "mcp:admin"}}
		}},
		{"scope_implies empty list", false, func(top, is, res obj) { res["scope_implies"] = obj{"a": arr{}} }},
		{"scope_implies offline key", false, func(top, is, res obj) { res["scope_implies"] = obj{"offline_access": arr{"a"}} }},
		{"scope_implies offline value", false, func(top, is, res obj) { res["scope_implies"] = obj{"a": arr{"offline_access"}} }},
		{"scope_implies bad key", false, func(top, is, res obj) { res["scope_implies"] = obj{"a b": arr{"c"}} }},
		{"scope_implies not an object", false, func(top, is, res obj) { res["scope_implies"] = arr{} }},
		{"operations", true, func(top, is, res obj) {
			res["operations"] = arr{
				obj{"method": "tools/call", "name": "delete_forecast", "scopes": arr{"mcp:admin"}},
				obj{"method": "tools/call", "scopes": arr{"mcp:write"}},
				obj{"method": "resources/read", "name": "file:///a b", "scopes": arr{}},
				obj{"method": "tools/list", "scopes": arr{}},
			}
		}},
		{"operation name for tools/list", false, func(top, is, res obj) {
			res["operations"] = arr{obj{"method": "tools/list", "name": "x", "scopes": arr{}}}
		}},
		{"operation without scopes", false, func(top, is, res obj) { res["operations"] = arr{obj{"method": "tools/call"}} }},
		{"operation without method", false, func(top, is, res obj) { res["operations"] = arr{obj{"scopes": arr{}}} }},
		{"operation empty name", false, func(top, is, res obj) {
			res["operations"] = arr{obj{"method": "tools/call", "name": "", "scopes": arr{}}}
		}},
		{"operation method with space", false, func(top, is, res obj) { res["operations"] = arr{obj{"method": "tools call", "scopes": arr{}}} }},
		{"operation extra member", false, func(top, is, res obj) {
			res["operations"] = arr{obj{"method": "tools/call", "scopes": arr{}, "scope": "x"}}
		}},
		{"operation offline scope", false, func(top, is, res obj) {
			res["operations"] = arr{obj{"method": "tools/call", "scopes": arr{"offline_access"}}}
		}},
		{"legacy reject", true, func(top, is, res obj) { res["legacy_protocol"] = "reject" }},
		{"legacy word", false, func(top, is, res obj) { res["legacy_protocol"] = "allow" }},
		{"mcp_body verify without operations", true, func(top, is, res obj) { res["mcp_body"] = "verify" }},
		{"mcp_body off", true, func(top, is, res obj) {
			res["operations"] = arr{obj{"method": "tools/call", "scopes": arr{"mcp:write"}}}
			res["mcp_body"] = "off"
		}},
		{"mcp_body word", false, func(top, is, res obj) { res["mcp_body"] = "headers" }},
		{"mcp_body upper case", false, func(top, is, res obj) { res["mcp_body"] = "Verify" }},
		{"mcp_body boolean", false, func(top, is, res obj) { res["mcp_body"] = true }},
		{"max_body_bytes 1024", true, func(top, is, res obj) { res["max_body_bytes"] = 1024 }},
		{"max_body_bytes 1023", false, func(top, is, res obj) { res["max_body_bytes"] = 1023 }},
		{"max_body_bytes 64 MiB", true, func(top, is, res obj) { res["max_body_bytes"] = 67108864 }},
		{"max_body_bytes over 64 MiB", false, func(top, is, res obj) { res["max_body_bytes"] = 67108865 }},
		{"max_body_bytes fraction", false, func(top, is, res obj) { res["max_body_bytes"] = 2048.5 }},
		{"max_body_bytes string", false, func(top, is, res obj) { res["max_body_bytes"] = "2048" }},
		{"allowed origins", true, func(top, is, res obj) {
			res["allowed_origins"] = arr{"https://app.example.com", "null", "http://localhost:3000", "https://[::1]:8443", "chrome-extension://abcdef"}
		}},
		{"allowed origins empty", false, func(top, is, res obj) { res["allowed_origins"] = arr{} }},
		{"allowed origins any", true, func(top, is, res obj) { res["allowed_origins"] = arr{"*"} }},
		{"allowed origins any and one", false, func(top, is, res obj) { res["allowed_origins"] = arr{"*", "https://app.example.com"} }},
		{"allowed origins one and any", false, func(top, is, res obj) { res["allowed_origins"] = arr{"https://app.example.com", "*"} }},
		{"allowed origins any twice", false, func(top, is, res obj) { res["allowed_origins"] = arr{"*", "*"} }},
		{"allowed origin wildcard host", false, func(top, is, res obj) { res["allowed_origins"] = arr{"https://*.example.com"} }},
		{"allowed origin upper case", false, func(top, is, res obj) { res["allowed_origins"] = arr{"https://App.example.com"} }},
		{"allowed origin default port", false, func(top, is, res obj) { res["allowed_origins"] = arr{"https://app.example.com:443"} }},
		{"allowed origin trailing slash", false, func(top, is, res obj) { res["allowed_origins"] = arr{"https://app.example.com/"} }},
		{"allowed origin bare host", false, func(top, is, res obj) { res["allowed_origins"] = arr{"app.example.com"} }},
		{"allowed origin too long", false, func(top, is, res obj) {
			res["allowed_origins"] = arr{"https://" + strings.Repeat("a", 250) + ".com"}
		}},
		{"scopes supported with offline_access", true, func(top, is, res obj) { res["scopes_supported"] = arr{"mcp:tools", "offline_access"} }},
		{"scopes supported bad", false, func(top, is, res obj) { res["scopes_supported"] = arr{"a b"} }},
		{"authorization servers", true, func(top, is, res obj) { res["authorization_servers"] = arr{"https://auth.example.com"} }},
		{"authorization servers empty", false, func(top, is, res obj) { res["authorization_servers"] = arr{} }},
		{"audience canonical", true, func(top, is, res obj) { res["audience_match"] = "canonical" }},
		{"audience word", false, func(top, is, res obj) { res["audience_match"] = "prefix" }},
		{"exclusive false", true, func(top, is, res obj) { res["exclusive_audience"] = false }},
		{"exclusive string", false, func(top, is, res obj) { res["exclusive_audience"] = "false" }},
		{"public paths", true, func(top, is, res obj) {
			res["public_paths"] = arr{"/healthz", "/static/*", "/", "/a/b/", "/x:y@z~!$&'()+,=-._"}
		}},
		{"public path all", false, func(top, is, res obj) { res["public_paths"] = arr{"/*"} }},
		{"public path relative", false, func(top, is, res obj) { res["public_paths"] = arr{"healthz"} }},
		{"public path percent", false, func(top, is, res obj) { res["public_paths"] = arr{"/a%2e"} }},
		{"public path query", false, func(top, is, res obj) { res["public_paths"] = arr{"/a?b"} }},
		{"public path semicolon", false, func(top, is, res obj) { res["public_paths"] = arr{"/a;b"} }},
		{"public path backslash", false, func(top, is, res obj) { res["public_paths"] = arr{`/a\b`} }},
		{"public path double slash", false, func(top, is, res obj) { res["public_paths"] = arr{"/a//b"} }},
		{"public path dot segment", false, func(top, is, res obj) { res["public_paths"] = arr{"/a/../b"} }},
		{"public path dot prefix", false, func(top, is, res obj) { res["public_paths"] = arr{"/./*"} }},
		{"public path star inside", false, func(top, is, res obj) { res["public_paths"] = arr{"/a*"} }},
		{"public path space", false, func(top, is, res obj) { res["public_paths"] = arr{"/a b"} }},
		{"forward token", true, func(top, is, res obj) { res["forward_token"] = true }},
		{"forward token string", false, func(top, is, res obj) { res["forward_token"] = "yes" }},
		// DPoP
		{"dpop required", true, func(top, is, res obj) { res["dpop"] = "required" }},
		{"dpop off", true, func(top, is, res obj) { res["dpop"] = "off" }},
		{"dpop word", false, func(top, is, res obj) { res["dpop"] = "on" }},
		{"dpop with every key", true, func(top, is, res obj) {
			res["dpop"], res["dpop_algorithms"], res["dpop_nonce"], res["dpop_iat_window_seconds"] = "allowed", arr{"EdDSA", "ES256"}, true, 120
		}},
		{"dpop_algorithms HS256", false, func(top, is, res obj) { res["dpop"], res["dpop_algorithms"] = "required", arr{"HS256"} }},
		{"dpop_algorithms none", false, func(top, is, res obj) { res["dpop"], res["dpop_algorithms"] = "required", arr{"none"} }},
		{"dpop_algorithms empty", false, func(top, is, res obj) { res["dpop"], res["dpop_algorithms"] = "required", arr{} }},
		{"dpop_nonce without dpop", false, func(top, is, res obj) { res["dpop_nonce"] = true }},
		{"dpop_algorithms with dpop off", false, func(top, is, res obj) { res["dpop"], res["dpop_algorithms"] = "off", arr{"ES256"} }},
		{"dpop_iat_window_seconds 4", false, func(top, is, res obj) { res["dpop"], res["dpop_iat_window_seconds"] = "required", 4 }},
		{"dpop_iat_window_seconds 601", false, func(top, is, res obj) { res["dpop"], res["dpop_iat_window_seconds"] = "required", 601 }},
		{"dpop_nonce_secret", true, func(top, is, res obj) { top["dpop_nonce_secret"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY" }},
		{"dpop_nonce_secret short", false, func(top, is, res obj) { top["dpop_nonce_secret"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZQ" }},
		{"dpop_nonce_secret base64 with +", false, func(top, is, res obj) { top["dpop_nonce_secret"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk+WY" }},
		{"claim headers", true, func(top, is, res obj) {
			res["claim_headers"] = obj{"sub": "x-mcp-subject", "client_id": "X-MCP-Client", "scope": "x_scope"}
		}},
		{"claim header authorization", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": "Authorization"} }},
		{"claim header te", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": "TE"} }},
		{"claim header folded forwarded", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": "x_forwarded_for"} }},
		{"claim header content", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": "Content.Type"} }},
		{"claim header mcp", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": "mcp-session-id"} }},
		{"claim header with space", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": "x mcp"} }},
		{"claim header pseudo", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": ":path"} }},
		{"claim header empty claim", false, func(top, is, res obj) { res["claim_headers"] = obj{"": "x-a"} }},
		{"claim header not a string", false, func(top, is, res obj) { res["claim_headers"] = obj{"sub": 1} }},
		{"claim header teapot", true, func(top, is, res obj) { res["claim_headers"] = obj{"sub": "tea"} }},
	}
	for _, c := range cases {
		data := mutate(t, c.f)
		loaderErr := startErr(data)
		schemaErr := validate(rs, data)
		if (loaderErr == nil) != c.valid {
			t.Errorf("%s: the loader says %v, the table says valid=%v", c.name, loaderErr, c.valid)
			continue
		}
		if (schemaErr == nil) != c.valid {
			t.Errorf("%s: the schema says %v, the loader says %v", c.name, schemaErr, loaderErr)
		}
	}
}

func remoteCase(f func(is obj)) func(top, is, res obj) {
	return func(top, is, res obj) { remote(is); f(is) }
}

// startErr is what the filter does at start: load, then build the engine
// (which refuses, for one, HS algorithms next to a jwks_uri).
func startErr(data []byte) error {
	p, err := config.Load(data)
	if err != nil {
		return err
	}
	_, err = policy.NewEngine(p, policy.Options{})
	return err
}

// TestSchemaAcceptsWhatTheLoaderAccepts: every configuration in the CLI's
// check corpus and in the documents' JSON examples that the loader accepts is
// valid under the schema (the schema never refuses a good configuration).
func TestSchemaAcceptsWhatTheLoaderAccepts(t *testing.T) {
	rs := loadSchema(t)
	var corpus []example
	files, _ := filepath.Glob("../cmd/audguard/testdata/check/*.json")
	for _, f := range files {
		corpus = append(corpus, example{f, readFile(t, f)})
	}
	corpus = append(corpus, docJSONExamples(t)...)
	accepted := 0
	for _, ex := range corpus {
		if startErr(ex.data) != nil {
			continue
		}
		accepted++
		if err := validate(rs, ex.data); err != nil {
			t.Errorf("%s: the loader accepts it, the schema does not: %v", ex.where, err)
		}
	}
	if accepted < 3 {
		t.Errorf("only %d accepted configurations in the corpus", accepted)
	}
}

// TestSchemaDefaults: every "default" of the schema is the value the loader
// writes out for an absent member (config.Plugin.JSON).
func TestSchemaDefaults(t *testing.T) {
	root := decodeObject(t, readFile(t, schemaFile))
	withRemote := mutate(t, func(top, is, res obj) { remote(is) })
	checked := 0
	for _, data := range [][]byte{[]byte(baseConfig), withRemote} {
		p, err := config.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		var norm obj
		if err := json.Unmarshal(p.JSON(), &norm); err != nil {
			t.Fatal(err)
		}
		var given obj
		_ = json.Unmarshal(data, &given)
		check := func(where string, schema map[string]json.RawMessage, got, in obj) {
			for name, raw := range decodeObject(t, schema["properties"]) {
				prop := decodeObject(t, raw)
				def, ok := prop["default"]
				if !ok {
					continue
				}
				if _, set := in[name]; set {
					continue
				}
				var want any
				_ = json.Unmarshal(def, &want)
				v, present := got[name]
				if !present {
					if where == "issuers[]" && strings.HasPrefix(name, "jwks_") && in["jwks_uri"] == nil {
						continue // written only with jwks_uri
					}
					t.Errorf("%s.%s: schema default %s, the loader writes nothing", where, name, def)
					continue
				}
				checked++
				if !reflect.DeepEqual(v, want) {
					t.Errorf("%s.%s: schema default %s, the loader's default %v", where, name, def, v)
				}
			}
		}
		check("$", root, norm, given)
		props := decodeObject(t, root["properties"])
		check("issuers[]", schemaObject(t, root, decodeObject(t, props["issuers"])),
			norm["issuers"].(arr)[0].(obj), given["issuers"].([]any)[0].(obj))
		check("resources[]", schemaObject(t, root, decodeObject(t, props["resources"])),
			norm["resources"].(arr)[0].(obj), given["resources"].([]any)[0].(obj))
	}
	if checked < 25 {
		t.Errorf("only %d defaults compared", checked)
	}
}
