package config

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/audguard/audguard/canonical"
)

// fuzzSeeds are the committed seeds of FuzzLoad (testdata/fuzz/FuzzLoad/),
// written by TestRegenerate -regen: valid configurations exercising every
// feature, and near-misses of each kind of refusal.
func fuzzSeeds(t testing.TB) map[string][]byte {
	base := marshal(t, baseConfig(t))
	s := string(base)
	jwksString := baseConfig(t)
	b := marshal(t, jwks(edKey(t)))
	iss0(jwksString)["jwks"] = string(b)
	hmac := baseConfig(t)
	iss0(hmac)["jwks"] = jwks(octKey("h1", 32))
	iss0(hmac)["algorithms"] = arr{"HS256"}
	root := baseConfig(t)
	res0(root)["resource"] = "https://mcp.example.com"
	res0(root)["public_paths"] = arr{"/healthz", "/static/*"}
	return map[string][]byte{
		"valid-base":        base,
		"valid-tables":      marshal(t, tablesConfig(t)),
		"valid-warnings":    marshal(t, warningsConfig(t)),
		"valid-jwks-string": marshal(t, jwksString),
		"valid-hmac":        marshal(t, hmac),
		"valid-root":        marshal(t, root),
		"dup-member":        []byte(strings.Replace(s, `"name":"corp"`, `"name":"corp","n\u0061me":"x"`, 1)),
		"trailing-data":     append(append([]byte{}, base...), `{}`...),
		"not-canonical":     []byte(strings.Replace(s, "https://mcp.example.com/mcp", "https://MCP.example.com:443/a/../mcp", 1)),
		"public-all":        []byte(strings.Replace(s, `"/healthz"`, `"/*"`, 1)),
		"claim-header-host": []byte(strings.Replace(s, `"x-mcp-subject"`, `"Host"`, 1)),
		"unknown-member":    []byte(strings.Replace(s, `{"issuers":`, `{"modes":"report","issuers":`, 1)),
		"deep-nesting":      []byte(strings.Repeat("[", 40) + strings.Repeat("]", 40)),
		"empty":             []byte(""),
	}
}

func writeFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range fuzzSeeds(t) {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzLoad: Load never panics; it refuses with a one-line *Error, or returns a
// Plugin with at least one issuer and one resource whose tables point only at
// its own resources, and whose JSON() loads back to an equivalent Plugin.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v (%T) is not a *Error wrapping ErrInvalid", err, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error spans lines: %q", err.Error())
			}
			return
		}
		checkPlugin(t, p)
		q, err := Load(p.JSON())
		if err != nil {
			t.Fatalf("Load(JSON()) refused: %v", err)
		}
		if a, b := viewOf(p), viewOf(q); !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip differs:\n%+v\n%+v", a, b)
		}
	})
}

// checkPlugin verifies the structural invariants of a loaded Plugin.
func checkPlugin(t *testing.T, p *Plugin) {
	t.Helper()
	if len(p.Issuers) == 0 || len(p.Resources) == 0 {
		t.Fatalf("loaded with %d issuers and %d resources", len(p.Issuers), len(p.Resources))
	}
	for i, is := range p.Issuers {
		if is.Index != i {
			t.Fatalf("issuers[%d].Index = %d", i, is.Index)
		}
	}
	own := make(map[*Resource]bool, len(p.Resources))
	for i, r := range p.Resources {
		if r.Index != i {
			t.Fatalf("resources[%d].Index = %d", i, r.Index)
		}
		own[r] = true
		if len(r.Issuers) == 0 || r.Audience == nil {
			t.Fatalf("resources[%d] has no issuer or no audience matcher", i)
		}
		for _, is := range r.Issuers {
			found := false
			for _, pi := range p.Issuers {
				found = found || pi == is
			}
			if !found {
				t.Fatalf("resources[%d] accepts an issuer not in Plugin.Issuers", i)
			}
		}
	}
	for _, is := range p.Issuers {
		if is.Keys == nil || len(is.Keys.Keys) == 0 {
			t.Fatalf("issuer %q has no usable key", is.Name)
		}
	}
	for _, m := range []map[string]*Resource{p.ByRoute, p.ByVirtualHost, p.ByAuthority} {
		for k, r := range m {
			if !own[r] {
				t.Fatalf("table entry %q points at a foreign resource", k)
			}
		}
	}
	if p.Default != nil && !own[p.Default] {
		t.Fatal("Default points at a foreign resource")
	}
	for at, r := range p.Metadata {
		if !own[r] {
			t.Fatalf("metadata %q %q points at a foreign resource", at.Authority, at.Path)
		}
	}
	checkTables(t, p)
}

// checkTables rebuilds every lookup table from the resources alone and
// requires the loaded ones to be equal: each name a resource claims leads to
// it, and nothing else is in a table (a refused conflict never loads).
func checkTables(t testing.TB, p *Plugin) {
	t.Helper()
	routes, vhosts, auths := map[string]*Resource{}, map[string]*Resource{}, map[string]*Resource{}
	hosts := map[string]*Resource{}
	md, mdHost := map[MetadataAt]*Resource{}, map[MetadataAt]*Resource{}
	for _, r := range p.Resources {
		for _, n := range r.Routes {
			routes[n] = r
		}
		for _, n := range r.VirtualHosts {
			vhosts[n] = r
		}
		key := MetadataKey(r.MetadataPath)
		own, ok := canonical.NormalizeAuthority(r.Parsed.Authority())
		if !ok {
			t.Fatalf("%s: own authority %q does not normalise", r.name(), r.Parsed.Authority())
		}
		md[MetadataAt{own, key}] = r
		mdHost[MetadataAt{hostOnly(own), key}] = r
		for _, a := range r.Authorities {
			auths[a] = r
			hosts[hostOnly(a)] = r
			md[MetadataAt{a, key}] = r
			mdHost[MetadataAt{hostOnly(a), key}] = r
		}
	}
	same := func(what string, got, want map[string]*Resource) {
		if !maps.Equal(got, want) {
			t.Fatalf("%s = %v, rebuilt from the resources: %v", what, got, want)
		}
	}
	same("ByRoute", p.ByRoute, routes)
	same("ByVirtualHost", p.ByVirtualHost, vhosts)
	same("ByAuthority", p.ByAuthority, auths)
	if !maps.Equal(p.Metadata, md) {
		t.Fatalf("Metadata = %v, rebuilt: %v", p.Metadata, md)
	}
	if p.AuthorityFrom == AuthorityExact {
		if p.ByHost != nil || p.MetadataByHost != nil {
			t.Fatal("host-keyed tables under authority_from authority")
		}
		return
	}
	same("ByHost", p.ByHost, hosts)
	if !maps.Equal(p.MetadataByHost, mdHost) {
		t.Fatalf("MetadataByHost = %v, rebuilt: %v", p.MetadataByHost, mdHost)
	}
}

// TestFuzzSeedsCommitted: the committed seeds match fuzzSeeds (so they embed
// the committed keys), the valid-* seeds load and the others are refused.
func TestFuzzSeedsCommitted(t *testing.T) {
	for name, data := range fuzzSeeds(t) {
		got, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzLoad", name))
		if err != nil {
			t.Fatalf("%v (regenerate with -run TestRegenerate -regen)", err)
		}
		if want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"; string(got) != want {
			t.Errorf("seed %s is stale (regenerate with -run TestRegenerate -regen)", name)
		}
		_, err = Load(data)
		if valid := strings.HasPrefix(name, "valid-"); valid != (err == nil) {
			t.Errorf("seed %s: Load error %v", name, err)
		}
	}
}
