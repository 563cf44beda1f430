package envoy

import (
	"path/filepath"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const wasmTypeURL = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"

func loadBootstrap(t *testing.T, data []byte) *bootstrapv3.Bootstrap {
	t.Helper()
	b := &bootstrapv3.Bootstrap{}
	if err := yamlToProto(data, b); err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := validateTree(b); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return b
}

// checkWasm checks a Wasm filter is fail-closed on V8 with the module from
// a file or a sha256-pinned remote, and returns its plugin configuration.
func checkWasm(t *testing.T, w *wasmfilterv3.Wasm) []byte {
	t.Helper()
	pc := w.GetConfig()
	if pc.GetFailurePolicy() != wasmv3.FailurePolicy_FAIL_CLOSED || pc.GetFailOpen() {
		t.Errorf("wasm: failure_policy %v fail_open %v, want FAIL_CLOSED and no fail_open", pc.GetFailurePolicy(), pc.GetFailOpen())
	}
	vm := pc.GetVmConfig()
	if vm.GetRuntime() != "envoy.wasm.runtime.v8" {
		t.Errorf("wasm: vm runtime %q, want envoy.wasm.runtime.v8", vm.GetRuntime())
	}
	switch code := vm.GetCode(); {
	case code.GetLocal() != nil:
		if fn := code.GetLocal().GetFilename(); !strings.HasPrefix(fn, "/") || !strings.HasSuffix(fn, ".wasm") {
			t.Errorf("wasm: local code %q, want an absolute path to a .wasm file", fn)
		}
	case code.GetRemote() != nil:
		if len(code.GetRemote().GetSha256()) != 64 {
			t.Errorf("wasm: remote code without a sha256 pin")
		}
	default:
		t.Errorf("wasm: no code source")
	}
	sv := &wrapperspb.StringValue{}
	if err := pc.GetConfiguration().UnmarshalTo(sv); err != nil {
		t.Fatalf("wasm: configuration is not a google.protobuf.StringValue: %v", err)
	}
	if sv.GetValue() == "" {
		t.Fatal("wasm: empty plugin configuration")
	}
	return []byte(sv.GetValue())
}

// TestShippedBootstraps: every envoy/*.yaml parses strictly into a Bootstrap,
// passes Envoy's validation rules, and carries a fail-closed audguard filter
// whose configuration the plugin accepts.
func TestShippedBootstraps(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no envoy/*.yaml found (%v)", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			b := loadBootstrap(t, readFile(t, f))
			ws := collect[*wasmfilterv3.Wasm](t, b)
			if len(ws) != 1 {
				t.Fatalf("%d Wasm filters, want 1", len(ws))
			}
			acceptPluginConfig(t, f, checkWasm(t, ws[0]))
			if a := b.GetAdmin().GetAddress().GetSocketAddress().GetAddress(); a != "127.0.0.1" && a != "::1" {
				t.Errorf("admin listens on %q, want loopback", a)
			}
		})
	}
}

// TestEnvoyYAML checks what envoy.yaml promises beyond schema validity.
func TestEnvoyYAML(t *testing.T) {
	b := loadBootstrap(t, readFile(t, "envoy.yaml"))
	if n := len(b.GetStaticResources().GetListeners()); n != 1 {
		t.Errorf("%d listeners, want 1", n)
	}
	hcms := collect[*hcmv3.HttpConnectionManager](t, b)
	if len(hcms) != 1 {
		t.Fatalf("%d connection managers, want 1", len(hcms))
	}
	hcm := hcms[0]

	// Connection-manager hardening.
	if !hcm.GetNormalizePath().GetValue() || !hcm.GetMergeSlashes() {
		t.Error("normalize_path and merge_slashes must be true")
	}
	if hcm.GetPathWithEscapedSlashesAction() != hcmv3.HttpConnectionManager_REJECT_REQUEST {
		t.Errorf("path_with_escaped_slashes_action %v", hcm.GetPathWithEscapedSlashesAction())
	}
	if hcm.GetCommonHttpProtocolOptions().GetHeadersWithUnderscoresAction() != corev3.HttpProtocolOptions_REJECT_REQUEST {
		t.Errorf("headers_with_underscores_action %v", hcm.GetCommonHttpProtocolOptions().GetHeadersWithUnderscoresAction())
	}

	// Filter order: audguard, then the router last.
	hf := hcm.GetHttpFilters()
	if len(hf) < 2 || hf[len(hf)-1].GetName() != "envoy.filters.http.router" {
		t.Fatal("the router must be the last HTTP filter")
	}
	wasmName := ""
	for _, f := range hf {
		if f.GetTypedConfig().GetTypeUrl() == wasmTypeURL {
			wasmName = f.GetName()
		}
	}
	if wasmName == "" {
		t.Fatal("no Wasm HTTP filter")
	}

	// Route table: names the plugin config binds must exist; only the health
	// route disables the filter.
	vhosts, routes := map[string]*routev3.VirtualHost{}, map[string]*routev3.Route{}
	for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
		vhosts[vh.GetName()] = vh
		if len(vh.GetTypedPerFilterConfig()) != 0 {
			t.Errorf("virtual host %s has per-filter config; only the health route may", vh.GetName())
		}
		for _, r := range vh.GetRoutes() {
			if _, dup := routes[r.GetName()]; dup || r.GetName() == "" {
				t.Errorf("route name %q empty or duplicated", r.GetName())
			}
			routes[r.GetName()] = r
			for key, anyCfg := range r.GetTypedPerFilterConfig() {
				fc := &routev3.FilterConfig{}
				if err := anyCfg.UnmarshalTo(fc); err != nil {
					t.Fatalf("route %s: per-filter config %s: %v", r.GetName(), key, err)
				}
				if want := r.GetName() == "mcp_a_healthz"; fc.GetDisabled() != want || key != wasmName {
					t.Errorf("route %s: %s disabled=%v", r.GetName(), key, fc.GetDisabled())
				}
			}
		}
	}
	if _, ok := routes["mcp_a_healthz"].GetTypedPerFilterConfig()[wasmName]; !ok {
		t.Errorf("health route does not disable %q", wasmName)
	}

	cfg := mirrorDecode(t, checkWasm(t, collect[*wasmfilterv3.Wasm](t, b)[0]))
	boundRoutes := 0
	for _, r := range cfg.Resources {
		for _, v := range r.VirtualHosts {
			if vhosts[v] == nil {
				t.Errorf("resource %s: virtual host %q is not in the route table", r.Resource, v)
			}
		}
		for _, rn := range r.Routes {
			boundRoutes++
			if routes[rn] == nil {
				t.Errorf("resource %s: route %q is not in the route table", r.Resource, rn)
			}
		}
		// The metadata path (RFC 9728 §3.1, path-inserted) has an explicit route.
		mp := "/.well-known/oauth-protected-resource" + pathOf(r.Resource)
		found := false
		for _, rt := range routes {
			found = found || rt.GetMatch().GetPath() == mp
		}
		if !found {
			t.Errorf("resource %s: no route for metadata path %s", r.Resource, mp)
		}
	}
	if len(vhosts) < 2 || boundRoutes < 1 {
		t.Errorf("want two virtual hosts and a per-route binding, got %d vhosts, %d bound routes", len(vhosts), boundRoutes)
	}
	checkCatchAll(t, vhosts, cfg)
}

// checkCatchAll: envoy.yaml has one catch-all virtual host (domains ["*"])
// that routes to mcp_b's cluster and that no resource names, by virtual host
// or by route, and no resource binds by authority. The e2e test sends A's
// token to an unlisted authority and expects 403 unmatched_resource with no
// request reaching mcp-b; that only proves something if the router would
// have sent the request to mcp-b.
func checkCatchAll(t *testing.T, vhosts map[string]*routev3.VirtualHost, cfg *mirrorConfig) {
	t.Helper()
	var catchAll *routev3.VirtualHost
	for _, vh := range vhosts {
		for _, d := range vh.GetDomains() {
			if d == "*" {
				if catchAll != nil {
					t.Fatalf("more than one catch-all virtual host (%s, %s)", catchAll.GetName(), vh.GetName())
				}
				catchAll = vh
			}
		}
	}
	if catchAll == nil {
		t.Fatal(`no catch-all virtual host (domains ["*"]); the e2e unlisted-authority case needs one`)
	}
	if len(catchAll.GetDomains()) != 1 || len(catchAll.GetRoutes()) == 0 {
		t.Errorf("catch-all %s: domains %v, %d routes; want only \"*\" and at least one route", catchAll.GetName(), catchAll.GetDomains(), len(catchAll.GetRoutes()))
	}
	for _, r := range catchAll.GetRoutes() {
		if c := r.GetRoute().GetCluster(); c != "mcp_b" {
			t.Errorf("catch-all route %s goes to %q, want cluster mcp_b (the e2e shows the filter keeps A's token from it)", r.GetName(), c)
		}
	}
	for _, res := range cfg.Resources {
		for _, v := range res.VirtualHosts {
			if v == catchAll.GetName() {
				t.Errorf("resource %s names the catch-all virtual host %s", res.Resource, v)
			}
		}
		for _, rn := range res.Routes {
			for _, r := range catchAll.GetRoutes() {
				if rn == r.GetName() {
					t.Errorf("resource %s names catch-all route %s", res.Resource, rn)
				}
			}
		}
		if len(res.Authorities) != 0 || res.Default {
			t.Errorf("resource %s binds by authorities or default; envoy.yaml binds by virtual host and route names only", res.Resource)
		}
	}
}

// pathOf returns the path of an absolute http(s) URI ("" for the root).
func pathOf(uri string) string {
	rest := uri[strings.Index(uri, "://")+3:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return ""
}

// TestEnvoyYAMLMutations: a copy of envoy.yaml with one field misspelt, an
// invalid value, or a deprecated fail-open field must be refused — proving
// the checks above would catch such mistakes, inside typed_config Anys too.
func TestEnvoyYAMLMutations(t *testing.T) {
	orig := string(readFile(t, "envoy.yaml"))
	tests := []struct{ name, old, new string }{
		{"misspelt top-level field", "static_resources:", "static_resource:"},
		{"misspelt hcm field (inside Any)", "merge_slashes: true", "merge_slashs: true"},
		{"misspelt wasm field (Any in Any)", "failure_policy: FAIL_CLOSED", "failure_polcy: FAIL_CLOSED"},
		{"misspelt FilterConfig field", "disabled: true", "disable: true"},
		{"unknown enum value", "path_with_escaped_slashes_action: REJECT_REQUEST", "path_with_escaped_slashes_action: REJECT"},
		{"unregistered typed_config", "envoy.extensions.filters.http.router.v3.Router", "envoy.extensions.filters.http.router.v3.Ruoter"},
		{"PGV rule: port out of range", "port_value: 10000", "port_value: 70000"},
		{"PGV rule: empty cluster name", "cluster_name: mcp_a", "cluster_name: \"\""},
		{"deprecated fail_open", "failure_policy: FAIL_CLOSED", "fail_open: true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mutated, ok := replaceInCode(orig, tc.old, tc.new)
			if !ok {
				t.Fatalf("envoy.yaml no longer contains %q outside comments; update the test", tc.old)
			}
			b := &bootstrapv3.Bootstrap{}
			err := yamlToProto([]byte(mutated), b)
			if err == nil {
				err = validateTree(b)
			}
			if err == nil {
				t.Fatalf("mutation %q → %q was accepted", tc.old, tc.new)
			}
			t.Logf("refused as expected: %v", err)
		})
	}
}

// replaceInCode replaces the first occurrence of old on a line that is not a
// YAML comment.
func replaceInCode(text, old, new string) (string, bool) {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "#") || !strings.Contains(l, old) {
			continue
		}
		lines[i] = strings.Replace(l, old, new, 1)
		return strings.Join(lines, ""), true
	}
	return text, false
}
