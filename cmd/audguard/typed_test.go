package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"gopkg.in/yaml.v3"
)

// typedWant is one problem the typed validation must report.
type typedWant struct {
	sev       string
	path      string // a suffix of the problem's path
	line, col int
	msg       string // a substring of the message
	fix       string // a substring of the fix ("" when none is expected)
}

// checkTyped checks a file and compares the problems the
// typed validation reports (their messages name who refuses) with wants,
// each exactly once.
func checkTyped(t *testing.T, path string, wants []typedWant) {
	t.Helper()
	rep := checkFile(path, "")
	var got []problem
	for _, f := range rep.Filters {
		for _, p := range f.Problems {
			if typedMessage.MatchString(p.Message) {
				got = append(got, p)
			}
		}
	}
	for _, w := range wants {
		n := 0
		for _, p := range got {
			if p.Severity == w.sev && strings.HasSuffix(p.Path, w.path) && p.Line == w.line && p.Column == w.col &&
				strings.Contains(p.Message, w.msg) && (w.fix == "" || strings.Contains(p.Fix, w.fix)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: want once %s at %d:%d %s: %q (fix %q), found %d times; got:\n%s", path, w.sev, w.line, w.col, w.path, w.msg, w.fix, n, problemsText(got))
		}
	}
	if len(got) != len(wants) {
		t.Errorf("%s: %d typed problems, want %d:\n%s", path, len(got), len(wants), problemsText(got))
	}
}

var typedMessage = regexp.MustCompile(`(Envoy refuses|Envoy rejects|Kubernetes API refuses|Istio refuses|Istio accepts the EnvoyFilter with a warning)`)

func problemsText(ps []problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.Severity + " " + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) + " " + p.Path + ": " + p.Message + " | fix: " + p.Fix + "\n")
	}
	return b.String()
}

// TestTypedGoldenCases pins the typed findings of the golden cases.
func TestTypedGoldenCases(t *testing.T) {
	for file, wants := range map[string][]typedWant{
		"envoy-fail-close.yaml": {
			{sevError, "http_filters[0].typed_config.config.failure_policy", 33, 33, `"FAIL_CLOSE" is not a value of envoy.extensions.wasm.v3.FailurePolicy: Envoy refuses`,
				"did you mean FAIL_CLOSED? valid: UNSPECIFIED, FAIL_RELOAD, FAIL_CLOSED, FAIL_OPEN"},
		},
		"envoy-misspelt-key.yaml": {
			{sevError, "typed_config.config.failure_polcy", 33, 17, `unknown field "failure_polcy" of envoy.extensions.wasm.v3.PluginConfig: Envoy refuses`, "did you mean failure_policy?"},
		},
		"envoy-bad-any.yaml": {
			{sevError, "typed_config.stat_prefix", 13, 11, "value length must be at least 1 runes (envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.stat_prefix): Envoy refuses", ""},
			{sevError, "http_filters[1].typed_config.@type", 49, 38, `"type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr" names no message type`,
				"did you mean type.googleapis.com/envoy.extensions.filters.http.router.v3.Router?"},
			{sevError, "clusters[0].transport_socket.typed_config.@type", 64, 18, `UpstreamTlsContex" names no message type`,
				"did you mean type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext?"},
		},
		"istio-bad-enums.yaml": {
			{sevError, "$.spec.sha256", 14, 11, "is the YAML integer 0000000000000000000000000000000000000000000000000000000000000000, not a string: the Kubernetes API refuses", `quote it: "0000`},
			{sevError, "$.spec.image_pull_policy", 15, 3, `unknown field "image_pull_policy" of istio.extensions.v1alpha1.WasmPlugin`, "the Kubernetes API takes the JSON name: imagePullPolicy"},
			{sevError, "$.spec.type", 16, 9, `"HTTPS" is not a value of istio.extensions.v1alpha1.PluginType`, "did you mean HTTP? valid: UNSPECIFIED_PLUGIN_TYPE, HTTP, NETWORK"},
			{sevError, "$.spec.failStrategy", 18, 17, `"FAIL_CLOSED" is not a value of istio.extensions.v1alpha1.FailStrategy`, "did you mean FAIL_CLOSE? valid: FAIL_CLOSE, FAIL_OPEN, FAIL_RELOAD"},
		},
		"envoyfilter-unknown-field.yaml": {
			{sevWarning, "configPatches[0].patch.value.typed_config.config.failure_polcy", 31, 13,
				`unknown field "failure_polcy" of envoy.extensions.wasm.v3.PluginConfig: Istio accepts the EnvoyFilter with a warning and drops it`, "did you mean failure_policy?"},
		},
	} {
		t.Run(file, func(t *testing.T) { checkTyped(t, "testdata/check/"+file, wants) })
	}
}

// typedPlugin is a plugin configuration the loader accepts, as a YAML
// block scalar's lines at the given indentation.
func typedPlugin(indent int) string {
	pad := strings.Repeat(" ", indent)
	return pad + `{"issuers": [{"name": "corp", "issuer": "https://auth.example.com", "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "k", "alg": "ES256", "x": "7xoF-xCaLw-N9si65uxuJ9UFeThaenGdJPpCVkq18ys", "y": "OGvZkbg8C2faP9PWpnttaPt5bF9FrPaNB8cbG47Ztvk"}]}}],` + "\n" +
		pad + ` "resources": [{"resource": "https://mcp-a.example.com/mcp", "default": true}]}` + "\n"
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTypedEveryProblem: one run lists every problem of a bootstrap — what
// the rendering catches, what only protojson refuses (one pass each), and
// the validation rules, also behind a list element left out (indexes are
// the file's) — each at its line and column.
func TestTypedEveryProblem(t *testing.T) {
	yml := `static_resources:
  listeners:
  - name: l
    address:
      socket_address: { address: 0.0.0.0, port_value: abc }
    per_connection_buffer_limit_bytes: 12x
    listener_filters_timeout: 5
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: s
          codec_type: HTTP9
          rds: { route_config_name: r, config_source: { ads: {} } }
          route_config: { name: r }
          http_filters:
          - name: audguard
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: audguard
                vm_config: [runtime]
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: |
` + typedPlugin(20) + `          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              suppress_envoy_headers: maybe
  clusters:
  - name: bad
    typed_extension_protocol_options: {}
    connect_timeout: 1s
    lb_polcy: ROUND_ROBIN
  - name: ""
    connect_timeout: -1s
`
	path := writeTemp(t, "every.yaml", yml)
	checkTyped(t, path, []typedWant{
		{sevError, "socket_address.port_value", 5, 55, `invalid value for uint32 field portValue: "abc": Envoy refuses`, ""},
		{sevError, "per_connection_buffer_limit_bytes", 6, 40, `invalid value for uint32 field value: "12x": Envoy refuses`, ""},
		{sevError, "listener_filters_timeout", 7, 31, `"5" is not a duration: Envoy refuses`, `write seconds with an "s"`},
		{sevError, "typed_config.codec_type", 14, 23, `"HTTP9" is not a value of envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.CodecType`, "valid: AUTO, HTTP1, HTTP2, HTTP3"},
		{sevError, "typed_config.route_config", 16, 11, "is set together with rds (line 15): both belong to oneof route_specifier", "keep one of rds, route_config, scoped_routes"},
		{sevError, "config.vm_config", 23, 28, "must be an object (envoy.extensions.wasm.v3.VmConfig), not a list: Envoy refuses", ""},
		{sevError, "typed_config.suppress_envoy_headers", 32, 39, `invalid value for bool field suppressEnvoyHeaders: "maybe": Envoy refuses`, ""},
		{sevError, "clusters[0].lb_polcy", 37, 5, `unknown field "lb_polcy" of envoy.config.cluster.v3.Cluster`, "did you mean lb_policy?"},
		{sevError, "clusters[1].name", 38, 5, "value length must be at least 1 runes (envoy.config.cluster.v3.Cluster.name)", ""},
		{sevError, "clusters[1].connect_timeout", 39, 5, "value must be greater than 0s (envoy.config.cluster.v3.Cluster.connect_timeout)", ""},
	})
}

// TestTypedTypedStruct: a TypedStruct's value is decoded as its type_url's
// message; an unknown type_url is refused.
func TestTypedTypedStruct(t *testing.T) {
	yml := `static_resources:
  listeners:
  - name: l
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: s
          route_config: { name: r }
          http_filters:
          - name: audguard
            typed_config:
              "@type": type.googleapis.com/udpa.type.v1.TypedStruct
              type_url: type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              value:
                config:
                  root_id: audguard
                  failure_policy: FAIL_CLOSE
                  configuration:
                    "@type": type.googleapis.com/google.protobuf.StringValue
                    value: |
` + typedPlugin(22) + `          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/xds.type.v3.TypedStruct
              type_url: type.googleapis.com/envoy.extensions.filters.http.router.v3.Routerr
`
	checkTyped(t, writeTemp(t, "ts.yaml", yml), []typedWant{
		{sevError, "value.config.failure_policy", 19, 35, `"FAIL_CLOSE" is not a value of envoy.extensions.wasm.v3.FailurePolicy`, "did you mean FAIL_CLOSED?"},
		{sevError, "http_filters[1].typed_config.type_url", 28, 25, `"type.googleapis.com/envoy.extensions.filters.http.router.v3.Routerr" names no message type`, "router.v3.Router?"},
	})
}

// TestTypedMergeKeys: merge keys (<<) are expanded and Envoy's !ignore
// keys skipped, so that a cluster whose name comes from an anchor is not
// refused for lacking one; a misspelt key in the anchor is reported there.
func TestTypedMergeKeys(t *testing.T) {
	yml := `!ignore defaults: &defaults { name: shared, connect_timeout: 2s, typ: STRICT_DNS }
static_resources:
  listeners:
  - name: l
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: s
          route_config: { name: r }
          http_filters:
          - name: audguard
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: audguard
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: |
` + typedPlugin(20) + `          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - <<: *defaults
  - <<: [*defaults]
    name: own
`
	checkTyped(t, writeTemp(t, "merge.yaml", yml), []typedWant{
		{sevError, "clusters[0].typ", 1, 66, `unknown field "typ" of envoy.config.cluster.v3.Cluster`, "did you mean type?"},
		{sevError, "clusters[1].typ", 1, 66, `unknown field "typ" of envoy.config.cluster.v3.Cluster`, "did you mean type?"},
	})
}

// TestTypedFragment: an Envoy YAML that is no bootstrap (here a Listener
// as an xDS resource) is decoded from each outermost @type.
func TestTypedFragment(t *testing.T) {
	yml := `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: l
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: s
        route_config: { name: r }
        http_filters:
        - name: audguard
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
            config:
              root_id: audguard
              failure_polcy: FAIL_CLOSED
              configuration:
                "@type": type.googleapis.com/google.protobuf.StringValue
                value: |
` + typedPlugin(18) + `        - name: envoy.filters.http.router
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  listner_filters: []
`
	checkTyped(t, writeTemp(t, "frag.yaml", yml), []typedWant{
		{sevError, "config.failure_polcy", 17, 15, `unknown field "failure_polcy" of envoy.extensions.wasm.v3.PluginConfig`, "did you mean failure_policy?"},
		{sevError, "resources[0].listner_filters", 25, 3, `unknown field "listner_filters" of envoy.config.listener.v3.Listener`, "did you mean listener_filters?"},
	})
}

// TestTypedEnvoyFilterPatches: each problem once, with the filter of its
// patch; a MERGE value is partial (no validation rules), a complete one is
// checked; a bad @type and a bad spec enum are errors, unknown fields and
// enum names of a patch value warnings (istiod drops them).
func TestTypedEnvoyFilterPatches(t *testing.T) {
	wasm := func(root, extra string) string {
		return `        name: audguard
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
          config:
            root_id: ` + root + `
            ` + extra + `
            configuration:
              "@type": type.googleapis.com/google.protobuf.StringValue
              value: |
` + typedPlugin(16)
	}
	yml := `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: { name: a }
spec:
  workloadSelector: { labels: { app: a } }
  configPatches:
  - applyTo: HTTP_FILTER
    match: { context: SIDECAR_INBOUND, listener: { filterChain: { filter: { name: envoy.filters.network.http_connection_manager, subFilter: { name: envoy.filters.http.router } } } } }
    patch:
      operation: INSERT_BEFORE
      value:
` + wasm("audguard_one", "failure_policy: FAIL_CLOSE") + `  - applyTo: HTTP_FILTER
    match: { context: SIDECAR_OUTBOUND, listener: { filterChain: { filter: { name: envoy.filters.network.http_connection_manager, subFilter: { name: envoy.filters.http.router } } } } }
    patch:
      operation: INSERT_BEFORE
      value:
` + wasm("audguard_two", "vm_config: { code: { local: { filename: /a.wasm } }, environment_variables: { key_values: { a: b } }, runtimee: v8 }") + `  - applyTo: NETWORK_FILTER
    match: { context: SIDECAR_INBOUND, listener: { filterChain: { filter: { name: envoy.filters.network.http_connection_manager } } } }
    patch:
      operation: MERGE
      value:
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          normalize_path: true
  - applyTo: CLUSTER
    patch:
      operation: ADD
      value:
        name: ""
        transport_socket:
          name: tls
          typed_config: { "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContextt }
  - applyTo: HTTP_FILTER
    patch:
      operation: INSERT_BEFOR
`
	path := writeTemp(t, "ef.yaml", yml)
	checkTyped(t, path, []typedWant{
		{sevWarning, "configPatches[0].patch.value.typed_config.config.failure_policy", 17, 29, `"FAIL_CLOSE" is not a value of envoy.extensions.wasm.v3.FailurePolicy: Istio accepts the EnvoyFilter with a warning and drops it`, "did you mean FAIL_CLOSED?"},
		{sevWarning, "configPatches[1].patch.value.typed_config.config.vm_config.runtimee", 33, 115, `unknown field "runtimee" of envoy.extensions.wasm.v3.VmConfig`, "did you mean runtime?"},
		{sevError, "configPatches[3].patch.value.name", 51, 9, "value length must be at least 1 runes (envoy.config.cluster.v3.Cluster.name): Envoy rejects the configuration this patch produces", ""},
		{sevError, "configPatches[3].patch.value.transport_socket.typed_config.@type", 54, 36, `UpstreamTlsContextt" names no message type of Envoy's v3 API: Istio refuses the EnvoyFilter`, "UpstreamTlsContext?"},
		{sevError, "configPatches[4].patch.operation", 57, 18, `"INSERT_BEFOR" is not a value of istio.networking.v1alpha3.EnvoyFilter.Patch.Operation: the Kubernetes API refuses`, "did you mean INSERT_BEFORE?"},
	})
	// Each once, with the filter of its patch.
	rep := checkFile(path, "")
	if len(rep.Filters) != 2 {
		t.Fatalf("%d filters, want 2", len(rep.Filters))
	}
	for i, want := range []string{"configPatches[0]", "configPatches[1]"} {
		for _, p := range rep.Filters[i].Problems {
			if strings.Contains(p.Path, "configPatches[0]") || strings.Contains(p.Path, "configPatches[1]") {
				if typedMessage.MatchString(p.Message) && !strings.Contains(p.Path, want) {
					t.Errorf("filter %d (%s) reports %s", i, rep.Filters[i].Source, p.Path)
				}
			}
		}
	}
}

// TestTypedShippedManifests: the shipped Envoy and Istio manifests decode
// with no typed problem (TestCheckShippedExamplesStrict runs --strict too).
func TestTypedShippedManifests(t *testing.T) {
	for _, f := range []string{"../../envoy/envoy.yaml", "../../envoy/istio/wasmplugin.yaml", "../../envoy/istio/envoyfilter.yaml"} {
		checkTyped(t, f, nil)
	}
}

// TestGoCamelMatchesGeneratedCode: goCamel gives the Go names
// protoc-gen-go gave every field and oneof of every registered message
// (protoc-gen-validate's errors name fields by them).
func TestGoCamelMatchesGeneratedCode(t *testing.T) {
	checked := 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		rt := reflect.TypeOf(mt.Zero().Interface())
		if rt.Kind() != reflect.Pointer || rt.Elem().Kind() != reflect.Struct {
			return true
		}
		st := rt.Elem()
		for i := 0; i < st.NumField(); i++ {
			f := st.Field(i)
			if tag := f.Tag.Get("protobuf"); tag != "" {
				for _, part := range strings.Split(tag, ",") {
					if name, ok := strings.CutPrefix(part, "name="); ok && goCamel(name) != f.Name {
						t.Errorf("%s: goCamel(%q) = %q, generated %q", mt.Descriptor().FullName(), name, goCamel(name), f.Name)
					}
				}
				checked++
			}
			if name := f.Tag.Get("protobuf_oneof"); name != "" && goCamel(name) != f.Name {
				t.Errorf("%s: oneof goCamel(%q) = %q, generated %q", mt.Descriptor().FullName(), name, goCamel(name), f.Name)
			}
		}
		return true
	})
	if checked < 3000 {
		t.Errorf("checked %d fields: are the Envoy types registered?", checked)
	}
}

// TestEnvoyTypesComplete: typed_envoytypes.go imports every v3 package of
// the go-control-plane version in go.mod (config, data, extensions, type,
// watchdog), so that no @type Envoy knows is refused as unknown.
func TestEnvoyTypesComplete(t *testing.T) {
	const mod = "github.com/envoyproxy/go-control-plane/envoy"
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", mod, err)
	}
	dir := strings.TrimSpace(string(out))
	var want []string
	for _, top := range []string{"config", "data", "extensions", "type", "watchdog"} {
		err := filepath.WalkDir(filepath.Join(dir, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".pb.go") && filepath.Base(filepath.Dir(p)) == "v3" {
				rel, _ := filepath.Rel(dir, filepath.Dir(p))
				want = append(want, mod+"/"+filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	f, err := parser.ParseFile(token.NewFileSet(), "typed_envoytypes.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, mod+"/") {
			got = append(got, p)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		for _, p := range want {
			if !slices.Contains(got, p) {
				t.Errorf("typed_envoytypes.go does not import %s", p)
			}
		}
		for _, p := range got {
			if !slices.Contains(want, p) {
				t.Errorf("typed_envoytypes.go imports %s, not a v3 package of %s", p, mod)
			}
		}
	}
	if len(want) < 300 {
		t.Errorf("found %d v3 packages in %s: the walk is not looking at the module", len(want), dir)
	}
}

// TestClosestName: near misspellings are suggested, far ones are not.
func TestClosestName(t *testing.T) {
	for _, c := range []struct {
		name string
		cand []string
		want string
	}{
		{"failure_polcy", []string{"fail_open", "failure_policy", "vm_config"}, "failure_policy"},
		{"fail_strategy", []string{"failStrategy", "phase"}, "failStrategy"},
		{"HTTPS", []string{"UNSPECIFIED_PLUGIN_TYPE", "HTTP", "NETWORK"}, "HTTP"},
		{"FAIL_CLOSE", []string{"UNSPECIFIED", "FAIL_RELOAD", "FAIL_CLOSED", "FAIL_OPEN"}, "FAIL_CLOSED"},
		{"banana", []string{"name", "domains", "routes"}, ""},
	} {
		got, ok := closestName(c.name, c.cand)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("closestName(%q) = %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
}

// FuzzTypedProblems: the typed validation never panics or hangs, whatever
// the YAML: every document is decoded as an Envoy YAML, an EnvoyFilter and
// a WasmPlugin.
func FuzzTypedProblems(f *testing.F) {
	f.Add([]byte("static_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: 0.0.0.0, port_value: 1}}\n    filter_chains:\n    - filters:\n      - name: hcm\n        typed_config:\n          \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\n          stat_prefix: s\n          route_config: {name: r, virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: {cluster: c}}]}]}\n          http_filters:\n          - name: w\n            typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm, config: {failure_policy: FAIL_CLOSE, configuration: {\"@type\": type.googleapis.com/google.protobuf.StringValue, value: x}}}\n  clusters: [{name: c, connect_timeout: 1s, lb_polcy: X}]\n"))
	f.Add([]byte("resources:\n- \"@type\": type.googleapis.com/udpa.type.v1.TypedStruct\n  type_url: type.googleapis.com/envoy.config.cluster.v3.Cluster\n  value: {name: \"\", connect_timeout: 5}\n"))
	f.Add([]byte("apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nspec:\n  configPatches:\n  - applyTo: HTTP_FILTER\n    patch:\n      operation: ADD\n      value: {name: a, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router, x: 1}}\n"))
	f.Add([]byte("apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nspec: {url: a, sha256: 0, type: HTTPS, failStrategy: FAIL_CLOSED, match: [{mode: SERVER}], pluginConfig: {a: [b]}}\n"))
	f.Add([]byte("static_resources: &a {clusters: [*a]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; i < 4; i++ {
			var doc yaml.Node
			if dec.Decode(&doc) != nil {
				return
			}
			if len(doc.Content) == 0 {
				continue
			}
			root := doc.Content[0]
			envoyTypedProblems(root, "$")
			envoyFilterTypedProblems(root, "$")
			wasmPluginTypedProblems(root, "$")
		}
	})
}
