package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/keys"
)

// keysFixture reads testdata/keys/<name>.
func keysFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keysServer is an httptest server with fixed answers per path; it records
// each request's method, path and Accept header.
type keysServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "GET /path accept=..."
}

type keysAnswer struct {
	status int
	body   []byte
	header map[string]string
}

func newKeysServer(t *testing.T, useTLS bool, routes map[string]keysAnswer) *keysServer {
	t.Helper()
	ks := &keysServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		ks.seen = append(ks.seen, r.Method+" "+r.URL.RequestURI()+" accept="+r.Header.Get("Accept"))
		ks.mu.Unlock()
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		a, ok := routes[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		if a.status == 0 {
			a.status = http.StatusOK
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	})
	if useTLS {
		ks.Server = httptest.NewTLSServer(h)
		keysTransport = ks.Client().Transport
		t.Cleanup(func() { keysTransport = nil })
	} else {
		ks.Server = httptest.NewServer(h)
	}
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keysServer) requests() []string {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return append([]string(nil), ks.seen...)
}

// keyMaterial returns every n, e, x, y, k and d value of the fixtures, which
// no output may contain.
func keyMaterial(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"good.json", "oct.json", "weak.json", "dupkid.json"} {
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		if err := json.Unmarshal(keysFixture(t, name), &set); err != nil {
			t.Fatal(err)
		}
		for _, k := range set.Keys {
			for _, m := range []string{"n", "x", "y", "k", "d"} {
				if v := k[m]; v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func assertNoKeyMaterial(t *testing.T, out string) {
	t.Helper()
	for _, v := range keyMaterial(t) {
		if strings.Contains(out, v) || strings.Contains(out, v[:16]) {
			t.Errorf("output contains key material %.16s…", v)
		}
	}
}

// keysJSON runs `audguard keys --json ARGS` and decodes the report.
func keysJSON(t *testing.T, args ...string) (int, keysReport, string) {
	t.Helper()
	code, out, errOut := cli(t, "", append([]string{"keys", "--json"}, args...)...)
	if errOut != "" {
		t.Errorf("stderr: %s", errOut)
	}
	assertNoKeyMaterial(t, out)
	var rep keysReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out)
	}
	return code, rep, out
}

func onlySet(t *testing.T, rep keysReport) keysSet {
	t.Helper()
	if len(rep.Filters) != 1 || len(rep.Filters[0].Issuers) != 1 || len(rep.Filters[0].Issuers[0].Sets) != 1 {
		t.Fatalf("want one filter, issuer and set: %+v", rep)
	}
	return rep.Filters[0].Issuers[0].Sets[0]
}

// keyVerdicts lists "kid verdict alg" per key.
func keyVerdicts(set keysSet) []string {
	var out []string
	for _, k := range set.Keys {
		kid := "-"
		if k.Kid != nil {
			kid = *k.Kid
		}
		out = append(out, kid+" "+k.Verdict+" "+k.Alg)
	}
	return out
}

// TestKeysGoodSet: an RSA and an EC key over TLS, both usable, exit 0; the
// request is a GET with Accept: application/json; the text output is golden.
func TestKeysGoodSet(t *testing.T) {
	srv := newKeysServer(t, true, map[string]keysAnswer{"/jwks": {body: keysFixture(t, "good.json")}})
	code, rep, _ := keysJSON(t, srv.URL+"/jwks")
	set := onlySet(t, rep)
	if code != exitOK || rep.Status != "ok" || set.Verdict != setAccepted || set.HTTPStatus != 200 {
		t.Fatalf("exit %d, status %s, set %+v", code, rep.Status, set)
	}
	if got, want := strings.Join(keyVerdicts(set), "; "), "rsa-1 usable RS256; ec-1 usable ES256"; got != want {
		t.Errorf("keys: %s, want %s", got, want)
	}
	if rep.Summary != (keysSummary{Usable: 2}) {
		t.Errorf("summary %+v", rep.Summary)
	}
	if k := set.Keys[1]; k.Kty != "EC" || k.Crv != "P-256" || k.Use != "sig" {
		t.Errorf("EC key %+v", k)
	}
	for _, r := range srv.requests() {
		if r != "GET /jwks accept=application/json" {
			t.Errorf("request %q", r)
		}
	}
	code, out, _ := cli(t, "", "keys", srv.URL+"/jwks")
	if code != exitOK {
		t.Errorf("text: exit %d", code)
	}
	assertNoKeyMaterial(t, out)
	golden(t, "keys/good.txt", strings.ReplaceAll(out, srv.URL, "https://JWKS"))
}

// TestKeysSkippedKeys: an oct key in a fetched set, a 1024-bit RSA key and
// an encryption key are skipped (exit 1); the set stays accepted.
func TestKeysSkippedKeys(t *testing.T) {
	srv := newKeysServer(t, true, map[string]keysAnswer{
		"/oct":  {body: keysFixture(t, "oct.json")},
		"/weak": {body: keysFixture(t, "weak.json")},
	})
	for _, tc := range []struct {
		path, want, reason string
	}{
		{"/oct", "rsa-1 usable RS256; hmac-1 skipped HS256", `"oct": a shared secret is never taken from a published set`},
		{"/weak", "ec-1 usable ES256; weak-1024 skipped RS256; ec-enc skipped ", "RSA modulus has 1024 bits; at least 2048 are required"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, rep, _ := keysJSON(t, srv.URL+tc.path)
			set := onlySet(t, rep)
			if code != exitWarnings || rep.Status != "warnings" || set.Verdict != setAccepted {
				t.Fatalf("exit %d, status %s, verdict %s", code, rep.Status, set.Verdict)
			}
			if got := strings.Join(keyVerdicts(set), "; "); got != tc.want {
				t.Errorf("keys: %s, want %s", got, tc.want)
			}
			if set.Keys[1].Reason != tc.reason {
				t.Errorf("reason %q lacks %q", set.Keys[1].Reason, tc.reason)
			}
			if rep.Summary.Usable != 1 || rep.Summary.Skipped != len(set.Keys)-1 || rep.Summary.Errors != 0 {
				t.Errorf("summary %+v", rep.Summary)
			}
			code, out, _ := cli(t, "", "keys", srv.URL+tc.path)
			assertNoKeyMaterial(t, out)
			if code != exitWarnings || !strings.Contains(out, tc.reason) {
				t.Errorf("text: exit %d\n%s", code, out)
			}
		})
	}
	code, out, _ := cli(t, "", "keys", srv.URL+"/weak")
	if code != exitWarnings || !strings.Contains(out, `skipped: "use" is "enc", not "sig"`) {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestKeysRefusedSets: a duplicate kid refuses the set; so do a 500, a
// redirect, a body over 256 KiB, bad JSON, a timeout and plain http to a
// host that is not loopback (not fetched). Each exits 2.
func TestKeysRefusedSets(t *testing.T) {
	big := []byte(`{"keys":[],"pad":"` + strings.Repeat("x", keys.MaxBodyBytes) + `"}`)
	srv := newKeysServer(t, true, map[string]keysAnswer{
		"/dup":      {body: keysFixture(t, "dupkid.json")},
		"/500":      {status: 500, body: []byte(`{"error":"boom"}`)},
		"/redirect": {status: 302, header: map[string]string{"Location": "/dup"}},
		"/big":      {body: big},
		"/bad":      {body: []byte(`{"keys":[{"kty":"RSA",`)},
		"/empty":    {body: []byte(`{"keys":[]}`)},
	})
	for _, tc := range []struct {
		arg, verdict, reason string
		status               int
	}{
		{srv.URL + "/dup", setRefused, "two keys share a kid", 200},
		{srv.URL + "/500", setFetchFailed, "HTTP status 500 Internal Server Error; the filter needs 200", 500},
		{srv.URL + "/redirect", setFetchFailed, "follows no redirect", 302},
		{srv.URL + "/big", setRefused, "body larger than 262144 bytes", 200},
		{srv.URL + "/bad", setRefused, "not a JWK Set", 200},
		{srv.URL + "/empty", setRefused, "no usable key", 200},
		{srv.URL + "/missing", setFetchFailed, "HTTP status 404", 404},
		{"http://jwks.example.com/keys", setNotFetched, "plain http to a host that is not loopback", 0},
		{"https://jwks.example.com/keys#frag", setNotFetched, "has a fragment", 0},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			code, rep, _ := keysJSON(t, tc.arg)
			set := onlySet(t, rep)
			if code != exitInvalid || rep.Status != "errors" || set.Verdict != tc.verdict || set.HTTPStatus != tc.status ||
				!strings.Contains(set.Reason, tc.reason) {
				t.Errorf("exit %d, status %s, set %+v; want %s: %s", code, rep.Status, set, tc.verdict, tc.reason)
			}
			if rep.Summary.RefusedSets != 1 || rep.Summary.Usable != 0 || rep.Summary.Errors != 1 {
				t.Errorf("summary %+v", rep.Summary)
			}
		})
	}
	// The duplicate kid is named per key; the text says the set is refused.
	code, out, _ := cli(t, "", "keys", srv.URL+"/dup")
	if code != exitInvalid || !strings.Contains(out, "REFUSED: two keys share a kid") ||
		!regexp.MustCompile(`1\s+rsa-1\s+EC\s+P-256.*duplicate kid: key 0 has the same kid`).MatchString(out) {
		t.Errorf("exit %d\n%s", code, out)
	}
	// The redirect was not followed.
	countDup := func() int { return strings.Count(strings.Join(srv.requests(), "\n"), "GET /dup ") }
	before := countDup()
	if code, _, _ := cli(t, "", "keys", srv.URL+"/redirect"); code != exitInvalid || countDup() != before {
		t.Errorf("redirect: exit %d, requests %q", code, srv.requests())
	}
	// --timeout bounds each request.
	start := time.Now()
	code, rep, _ := keysJSON(t, "--timeout", "200ms", srv.URL+"/slow")
	if set := onlySet(t, rep); code != exitInvalid || set.Verdict != setFetchFailed || !strings.Contains(set.Reason, "Timeout") {
		t.Errorf("slow: exit %d, set %+v", code, set)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("--timeout 200ms took %v", d)
	}
}

// keysConfig writes a plugin configuration with the issuer "remote", with a
// jwks_uri and an explicit allowlist, and (withStatic) "static", with
// configured keys.
func keysConfig(t *testing.T, jwksURI, remoteIssuer string, withStatic bool) string {
	t.Helper()
	static := ""
	if withStatic {
		static = `,
    {"name": "static", "issuer": "https://static.example.com",
     "jwks": ` + string(keysFixture(t, "good.json")) + `}`
	}
	cfg := `{
  "issuers": [
    {"name": "remote", "issuer": ` + jsonQuote(remoteIssuer) + `, "algorithms": ["RS256", "ES256"],
     "jwks_uri": ` + jsonQuote(jwksURI) + `, "jwks_cluster": "idp"}` + static + `
  ],
  "resources": [{"resource": "https://mcp.example.com/mcp", "default": true}]
}`
	path := filepath.Join(t.TempDir(), "plugin.json")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestKeysConfigTwoIssuers: a plugin configuration with an issuer fetched
// over loopback http and one with configured keys; text and JSON goldens.
func TestKeysConfigTwoIssuers(t *testing.T) {
	srv := newKeysServer(t, false, map[string]keysAnswer{"/jwks": {body: keysFixture(t, "good.json")}})
	path := keysConfig(t, srv.URL+"/jwks", "https://idp.example.com", true)
	code, rep, jsonOut := keysJSON(t, path)
	if code != exitOK || rep.Status != "ok" || len(rep.Filters) != 1 || len(rep.Filters[0].Issuers) != 2 {
		t.Fatalf("exit %d\n%s", code, jsonOut)
	}
	remote, static := rep.Filters[0].Issuers[0], rep.Filters[0].Issuers[1]
	if remote.Name != "remote" || len(remote.Sets) != 1 || remote.Sets[0].Origin != "jwks_uri" || remote.Sets[0].Verdict != setAccepted ||
		strings.Join(remote.Algorithms, ",") != "RS256,ES256" {
		t.Errorf("remote issuer %+v", remote)
	}
	if static.Name != "static" || len(static.Sets) != 1 || static.Sets[0].Origin != "configured" || static.Sets[0].Verdict != setAccepted ||
		static.Algorithms != nil {
		t.Errorf("static issuer %+v", static)
	}
	if got, want := strings.Join(keyVerdicts(static.Sets[0]), "; "), "rsa-1 usable RS256; ec-1 usable ES256"; got != want {
		t.Errorf("configured keys: %s, want %s", got, want)
	}
	if rep.Summary != (keysSummary{Usable: 4}) {
		t.Errorf("summary %+v", rep.Summary)
	}
	code, out, _ := cli(t, "", "keys", path)
	assertNoKeyMaterial(t, out)
	// Whether config.Load accepts jwks_uri yet is not this command's business:
	// its note (or load_error) is left out of the goldens.
	loaderNote := regexp.MustCompile(`(?m)^  note: the filter's loader refuses.*\n|^ *"load_error": .*\n`)
	norm := func(s string) string {
		s = loaderNote.ReplaceAllString(s, "")
		return strings.ReplaceAll(strings.ReplaceAll(s, srv.URL, "http://LOOPBACK"), path, "plugin.json")
	}
	if code != exitOK {
		t.Errorf("text: exit %d\n%s", code, out)
	}
	golden(t, "keys/config.txt", norm(out))
	golden(t, "keys/config.json", norm(jsonOut))
}

// TestKeysConfiguredWins: a fetched key whose kid a configured key has is
// skipped; an Istio WasmPlugin YAML is read like the plugin JSON.
func TestKeysConfiguredWins(t *testing.T) {
	srv := newKeysServer(t, false, map[string]keysAnswer{"/jwks": {body: keysFixture(t, "good.json")}})
	yml := `apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: audguard}
spec:
  url: oci://ghcr.io/audguard/audguard:v0.1.0
  pluginConfig:
    issuers:
    - name: both
      issuer: https://idp.example.com
      jwks_uri: ` + srv.URL + `/jwks
      jwks_cluster: idp
      jwks: '{"keys":[{"kty":"EC","kid":"ec-1","crv":"P-256","x":"7xoF-xCaLw-N9si65uxuJ9UFeThaenGdJPpCVkq18ys","y":"OGvZkbg8C2faP9PWpnttaPt5bF9FrPaNB8cbG47Ztvk"}]}'
    resources:
    - {resource: "https://mcp.example.com/mcp", default: true}
`
	path := filepath.Join(t.TempDir(), "wasmplugin.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep, out := keysJSON(t, path)
	if code != exitWarnings || len(rep.Filters) != 1 || rep.Filters[0].Kind != kindWasmPlugin {
		t.Fatalf("exit %d\n%s", code, out)
	}
	is := rep.Filters[0].Issuers[0]
	if len(is.Sets) != 2 || is.Sets[0].Origin != "configured" || is.Sets[1].Origin != "jwks_uri" {
		t.Fatalf("sets %+v", is.Sets)
	}
	if got := strings.Join(keyVerdicts(is.Sets[1]), "; "); got != "rsa-1 usable RS256; ec-1 skipped ES256" ||
		!strings.Contains(is.Sets[1].Keys[1].Reason, "configured keys win") {
		t.Errorf("fetched keys: %s (%+v)", got, is.Sets[1].Keys)
	}
	if rep.Summary.Usable != 2 || rep.Summary.Skipped != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

// TestKeysConfigErrors: an issuer with neither keys nor jwks_uri, an HS
// algorithm next to jwks_uri, a bad "algorithms" and a jwks_uri whose fetch
// fails each count as errors; the other issuers are still judged.
func TestKeysConfigErrors(t *testing.T) {
	cfg := `{"issuers": [
  {"name": "none", "issuer": "https://a.example.com"},
  {"name": "hs", "issuer": "https://b.example.com", "algorithms": ["HS256"], "jwks_uri": "https://b.example.com/jwks"},
  {"name": "badalg", "issuer": "https://c.example.com", "algorithms": ["none"], "jwks_uri": "https://c.example.com/jwks"},
  {"name": "down", "issuer": "https://d.example.com", "jwks_uri": "https://127.0.0.1:1/jwks"},
  {"name": "ok", "issuer": "https://e.example.com", "jwks": ` + string(keysFixture(t, "good.json")) + `},
  {"name": "weak", "issuer": "https://f.example.com", "jwks": ` + string(keysFixture(t, "weak.json")) + `}
], "resources": [{"resource": "https://mcp.example.com/mcp", "default": true}]}`
	path := filepath.Join(t.TempDir(), "plugin.json")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep, out := keysJSON(t, "--timeout", "2s", path)
	if code != exitInvalid || rep.Summary.Errors != 5 || rep.Summary.Usable != 2 || rep.Summary.RefusedSets != 2 {
		t.Fatalf("exit %d, summary %+v\n%s", code, rep.Summary, out)
	}
	is := rep.Filters[0].Issuers
	for i, want := range []string{`neither "jwks" nor "jwks_uri"`, "HS256 next to jwks_uri", `"none" is not a supported JWS algorithm`} {
		if len(is[i].Errors) != 1 || !strings.Contains(is[i].Errors[0], want) {
			t.Errorf("issuer %d errors %q, want %q", i, is[i].Errors, want)
		}
	}
	if len(is[3].Sets) != 1 || is[3].Sets[0].Verdict != setFetchFailed || !strings.Contains(is[3].Sets[0].Reason, "refused") {
		t.Errorf("down: %+v", is[3].Sets)
	}
	// A configured RSA key under 2048 bits refuses the configured set (config.Load refuses it).
	weak := is[5].Sets
	if len(weak) != 1 || weak[0].Verdict != setRefused || !strings.Contains(weak[0].Reason, "1024 bits") ||
		strings.Join(keyVerdicts(weak[0]), "; ") != "ec-1 usable ES256; weak-1024 invalid RS256; ec-enc skipped " {
		t.Errorf("weak configured set: %+v", weak)
	}
}

// metadataDoc is an authorization server metadata document.
func metadataDoc(issuer, jwksURI string) []byte {
	b, _ := json.Marshal(map[string]string{"issuer": issuer, "jwks_uri": jwksURI, "token_endpoint": issuer + "/token"})
	return b
}

// TestKeysIssuerMetadata: RFC 8414 path-inserted metadata that matches, an
// issuer and a jwks_uri that do not, the OpenID Connect fallback on 404, a
// 500 that is not a 404, and a URL argument taken as the issuer.
func TestKeysIssuerMetadata(t *testing.T) {
	var base string
	routes := map[string]keysAnswer{"/tenant/jwks": {body: keysFixture(t, "good.json")}}
	srv := newKeysServer(t, true, routes)
	base = srv.URL
	iss := base + "/tenant"
	jwks := base + "/tenant/jwks"
	set := func(path string, a keysAnswer) { routes[path] = a }

	run := func(t *testing.T, args ...string) (int, keysReport, *keysMetadata) {
		t.Helper()
		code, rep, out := keysJSON(t, append([]string{"--issuer-metadata"}, args...)...)
		if len(rep.Filters) == 0 || len(rep.Filters[0].Issuers) == 0 || rep.Filters[0].Issuers[0].Metadata == nil {
			t.Fatalf("no metadata in\n%s", out)
		}
		return code, rep, rep.Filters[0].Issuers[0].Metadata
	}

	t.Run("rfc8414-path-inserted", func(t *testing.T) {
		set("/.well-known/oauth-authorization-server/tenant", keysAnswer{body: metadataDoc(iss, jwks)})
		defer delete(routes, "/.well-known/oauth-authorization-server/tenant")
		// A terminating "/" of the issuer's path is removed before inserting (RFC 8414 §3.1).
		oauth, openid, err := metadataURLs(iss + "/")
		if err != nil || oauth != base+"/.well-known/oauth-authorization-server/tenant" || openid != iss+"/.well-known/openid-configuration" {
			t.Errorf("metadataURLs: %s %s %v", oauth, openid, err)
		}
		code, rep, md := run(t, keysConfig(t, jwks, iss, false))
		if code != exitOK || len(md.Errors) != 0 || md.URL != base+"/.well-known/oauth-authorization-server/tenant" ||
			md.Issuer != iss || md.JWKSURI != jwks || len(md.Tried) != 1 {
			t.Errorf("exit %d, metadata %+v", code, md)
		}
		if rep.Summary.Errors != 0 {
			t.Errorf("summary %+v", rep.Summary)
		}
		_, out, _ := cli(t, "", "keys", "--issuer-metadata", keysConfig(t, jwks, iss, false))
		if !strings.Contains(out, "metadata matches the configuration") {
			t.Errorf("text:\n%s", out)
		}
	})
	t.Run("issuer-mismatch", func(t *testing.T) {
		set("/.well-known/oauth-authorization-server/tenant", keysAnswer{body: metadataDoc(iss+"/", jwks)})
		defer delete(routes, "/.well-known/oauth-authorization-server/tenant")
		code, _, md := run(t, keysConfig(t, jwks, iss, false))
		if code != exitInvalid || len(md.Errors) != 1 || !strings.Contains(md.Errors[0], "is not the configured issuer") ||
			!strings.Contains(md.Errors[0], "RFC 8414 §3.3") {
			t.Errorf("exit %d, metadata %+v", code, md)
		}
	})
	t.Run("jwks-uri-mismatch", func(t *testing.T) {
		set("/.well-known/oauth-authorization-server/tenant", keysAnswer{body: metadataDoc(iss, base+"/other/jwks")})
		defer delete(routes, "/.well-known/oauth-authorization-server/tenant")
		code, rep, md := run(t, keysConfig(t, jwks, iss, false))
		if code != exitInvalid || len(md.Errors) != 1 || !strings.Contains(md.Errors[0], "is not the configured jwks_uri") {
			t.Errorf("exit %d, metadata %+v", code, md)
		}
		// The configured jwks_uri is still judged.
		if s := rep.Filters[0].Issuers[0].Sets; len(s) != 1 || s[0].Verdict != setAccepted {
			t.Errorf("sets %+v", s)
		}
	})
	t.Run("openid-fallback", func(t *testing.T) {
		set("/tenant/.well-known/openid-configuration", keysAnswer{body: metadataDoc(iss, jwks)})
		defer delete(routes, "/tenant/.well-known/openid-configuration")
		code, _, md := run(t, keysConfig(t, jwks, iss, false))
		if code != exitOK || len(md.Errors) != 0 || md.URL != iss+"/.well-known/openid-configuration" ||
			len(md.Tried) != 2 || !strings.HasSuffix(md.Tried[0], ": 404") {
			t.Errorf("exit %d, metadata %+v", code, md)
		}
	})
	t.Run("no-fallback-after-500", func(t *testing.T) {
		set("/.well-known/oauth-authorization-server/tenant", keysAnswer{status: 500})
		set("/tenant/.well-known/openid-configuration", keysAnswer{body: metadataDoc(iss, jwks)})
		defer delete(routes, "/.well-known/oauth-authorization-server/tenant")
		defer delete(routes, "/tenant/.well-known/openid-configuration")
		code, _, md := run(t, keysConfig(t, jwks, iss, false))
		if code != exitInvalid || len(md.Tried) != 1 || len(md.Errors) != 1 || !strings.Contains(md.Errors[0], "500") {
			t.Errorf("exit %d, metadata %+v", code, md)
		}
	})
	t.Run("url-argument-is-issuer", func(t *testing.T) {
		set("/.well-known/oauth-authorization-server", keysAnswer{body: metadataDoc(base, jwks)})
		defer delete(routes, "/.well-known/oauth-authorization-server")
		code, rep, md := run(t, base)
		sets := rep.Filters[0].Issuers[0].Sets
		if code != exitOK || len(md.Errors) != 0 || len(sets) != 1 || sets[0].URI != jwks || sets[0].Verdict != setAccepted {
			t.Errorf("exit %d, metadata %+v, sets %+v", code, md, sets)
		}
	})
	t.Run("issuer-with-query", func(t *testing.T) {
		code, _, md := run(t, keysConfig(t, jwks, iss+"?tenant=1", false))
		if code != exitInvalid || len(md.Errors) != 1 || !strings.Contains(md.Errors[0], "query or fragment") {
			t.Errorf("exit %d, metadata %+v", code, md)
		}
	})
}

// TestKeysUsage: a usage error exits 2; -h lists every flag and an example
// that is a README command (TestREADMECommandsRun runs it), which exits 0.
func TestKeysUsage(t *testing.T) {
	for _, args := range [][]string{{"keys"}, {"keys", "a", "b"}, {"keys", "--timeout", "0s", "x"}, {"keys", "--bogus", "x"}} {
		if code, out, errOut := cli(t, "", args...); code != exitInvalid || out != "" || errOut == "" {
			t.Errorf("%q: exit %d, stdout %q", args, code, out)
		}
	}
	code, out, errOut := cli(t, "", "keys", "-h")
	if code != exitOK || errOut != "" {
		t.Fatalf("-h: exit %d, stderr %q", code, errOut)
	}
	for _, f := range []string{"json", "timeout", "issuer-metadata"} {
		if !strings.Contains(out, "\n  --"+f) {
			t.Errorf("-h does not list --%s", f)
		}
	}
	ex := commandExamples["keys"]
	if !strings.HasSuffix(out, "\nexample:\n  "+ex+"\n") {
		t.Errorf("-h example:\n%s", out)
	}
	if !strings.Contains(strings.Join(readmeCommands(t, filepath.Join("..", "..", "README.md")), "\n"), ex) {
		t.Errorf("example %q is not a README command", ex)
	}
	if code, out, _ := cli(t, "", "keys", filepath.Join("..", "..", "envoy", "demo-config.json")); code != exitOK {
		t.Errorf("example: exit %d\n%s", code, out)
	}
	if code, _, _ := cli(t, "", "help", "keys"); code != exitOK {
		t.Errorf("help keys: exit %d", code)
	}
	if _, out, _ := cli(t, "", "help"); !strings.Contains(out, "audguard keys ") {
		t.Errorf("the usage does not list keys:\n%s", out)
	}
	if code, out, _ := cli(t, "", "keys", filepath.Join(t.TempDir(), "missing.json")); code != exitInvalid || !strings.Contains(out, "cannot read the file") {
		t.Errorf("missing file: exit %d\n%s", code, out)
	}
}

// bigRSAJWK is an RS256 public JWK whose modulus is an odd number of exactly
// bits bits (the filter judges size and form, not primality).
func bigRSAJWK(kid string, bits int) map[string]any {
	n := []byte(strings.Repeat("\xa5", (bits+7)/8)) // 0xa5: top and bottom bit set
	if r := bits % 8; r != 0 {
		n[0] = 1<<(r-1) | 1
	}
	return map[string]any{"kty": "RSA", "alg": "RS256", "kid": kid, "n": base64.RawURLEncoding.EncodeToString(n), "e": "AQAB"}
}

// goodECJWK is the EC key of good.json.
func goodECJWK(t *testing.T) map[string]any {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(keysFixture(t, "good.json"), &set); err != nil {
		t.Fatal(err)
	}
	return set.Keys[1]
}

// TestKeysOversizedRSA: an RSA key of 48,000 bits (each verification with it
// costs a worker about half a second) is skipped in a fetched set and refuses
// a configured one; keys and check name the reason.
func TestKeysOversizedRSA(t *testing.T) {
	set, _ := json.Marshal(map[string]any{"keys": []any{goodECJWK(t), bigRSAJWK("big", 48000)}})
	const reason = "RSA modulus has 48000 bits; at most 8192 are accepted"
	srv := newKeysServer(t, true, map[string]keysAnswer{"/jwks": {body: set}})
	code, rep, _ := keysJSON(t, srv.URL+"/jwks")
	fetched := onlySet(t, rep)
	if code != exitWarnings || fetched.Verdict != setAccepted || strings.Join(keyVerdicts(fetched), "; ") != "ec-1 usable ES256; big skipped RS256" ||
		fetched.Keys[1].Reason != reason {
		t.Errorf("fetched: exit %d, set %+v", code, fetched)
	}
	if code, out, _ := cli(t, "", "keys", srv.URL+"/jwks"); code != exitWarnings || !strings.Contains(out, "skipped: "+reason) {
		t.Errorf("fetched, text: exit %d\n%s", code, out)
	}

	cfg, _ := json.Marshal(map[string]any{
		"issuers":   []any{map[string]any{"name": "corp", "issuer": "https://auth.example.com", "jwks": json.RawMessage(set)}},
		"resources": []any{map[string]any{"resource": "https://mcp.example.com/mcp", "default": true}},
	})
	path := filepath.Join(t.TempDir(), "plugin.json")
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep, _ = keysJSON(t, path)
	if code != exitInvalid || len(rep.Filters) != 1 || len(rep.Filters[0].Issuers) != 1 {
		t.Fatalf("configured: exit %d, %+v", code, rep)
	}
	configured := rep.Filters[0].Issuers[0].Sets
	if len(configured) != 1 || configured[0].Verdict != setRefused || !strings.Contains(configured[0].Reason, reason) ||
		strings.Join(keyVerdicts(configured[0]), "; ") != "ec-1 usable ES256; big invalid RS256" || configured[0].Keys[1].Reason != reason {
		t.Errorf("configured: %+v", configured)
	}
	code, out, _ := cli(t, "", "check", path)
	if code != exitInvalid || !strings.Contains(out, reason) || !strings.Contains(out, "2048 to 8192 bits") {
		t.Errorf("check: exit %d\n%s", code, out)
	}
}

// TestKeysPrivateKeys: keys published or configured with their private half
// (or an oct secret outside an HS issuer) are never usable: skipped in a
// fetched set, with a warning that the issuer publishes private material;
// refusing a configured set, with the fix in check. No output quotes them.
func TestKeysPrivateKeys(t *testing.T) {
	const d = "c2VjcmV0LXByaXZhdGUtc2NhbGFyLXZhbHVl"
	priv := goodECJWK(t)
	priv["kid"], priv["d"] = "ec-priv", d
	oct := map[string]any{"kty": "oct", "kid": "hmac-1", "alg": "HS256", "k": d}
	set, _ := json.Marshal(map[string]any{"keys": []any{goodECJWK(t), priv, oct}})
	const reason = `holds private key members ("d"): a verification key is the public half only`
	srv := newKeysServer(t, true, map[string]keysAnswer{"/jwks": {body: set}})
	code, rep, out := keysJSON(t, srv.URL+"/jwks")
	fetched := onlySet(t, rep)
	is := rep.Filters[0].Issuers[0]
	if code != exitWarnings || fetched.Verdict != setAccepted ||
		strings.Join(keyVerdicts(fetched), "; ") != "ec-1 usable ES256; ec-priv skipped ; hmac-1 skipped HS256" ||
		fetched.Keys[1].Reason != reason || !strings.Contains(fetched.Keys[2].Reason, "shared secret") ||
		len(is.Warnings) != 1 || !strings.Contains(is.Warnings[0], "publishes private key material in 2 keys") {
		t.Errorf("fetched: exit %d, warnings %q, set %+v", code, is.Warnings, fetched)
	}
	if strings.Contains(out, d) {
		t.Errorf("output quotes a private member:\n%s", out)
	}
	code, out, _ = cli(t, "", "keys", srv.URL+"/jwks")
	if code != exitWarnings || !strings.Contains(out, "skipped: "+reason) || !strings.Contains(out, "warning: jwks_uri ") || strings.Contains(out, d) {
		t.Errorf("fetched, text: exit %d\n%s", code, out)
	}

	cfgSet, _ := json.Marshal(map[string]any{"keys": []any{goodECJWK(t), priv}})
	cfg, _ := json.Marshal(map[string]any{
		"issuers":   []any{map[string]any{"name": "corp", "issuer": "https://auth.example.com", "jwks": json.RawMessage(cfgSet)}},
		"resources": []any{map[string]any{"resource": "https://mcp.example.com/mcp", "default": true}},
	})
	path := filepath.Join(t.TempDir(), "plugin.json")
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep, out = keysJSON(t, path)
	configured := rep.Filters[0].Issuers[0].Sets
	if code != exitInvalid || len(configured) != 1 || configured[0].Verdict != setRefused || !strings.Contains(configured[0].Reason, reason) ||
		strings.Join(keyVerdicts(configured[0]), "; ") != "ec-1 usable ES256; ec-priv invalid " || configured[0].Keys[1].Reason != reason || strings.Contains(out, d) {
		t.Errorf("configured: exit %d, %+v", code, configured)
	}
	code, out, _ = cli(t, "", "check", path)
	if code != exitInvalid || !strings.Contains(out, reason) || !strings.Contains(out, "publish only the public half: remove d, p, q, dp, dq, qi") || strings.Contains(out, d) {
		t.Errorf("check: exit %d\n%s", code, out)
	}
}
