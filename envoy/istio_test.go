package envoy

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"sigs.k8s.io/yaml"
)

// wasmPlugin is the subset of extensions.istio.io/v1alpha1 WasmPlugin the
// manifest may use; decoded strictly, so a misspelt key fails.
type wasmPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Selector *struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		TargetRefs []struct {
			Group string `json:"group"`
			Kind  string `json:"kind"`
			Name  string `json:"name"`
		} `json:"targetRefs"`
		URL             string `json:"url"`
		SHA256          string `json:"sha256"`
		ImagePullPolicy string `json:"imagePullPolicy"`
		Type            string `json:"type"`
		Phase           string `json:"phase"`
		FailStrategy    string `json:"failStrategy"`
		Match           []struct {
			Mode string `json:"mode"`
		} `json:"match"`
		PluginConfig json.RawMessage `json:"pluginConfig"`
	} `json:"spec"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestIstioWasmPlugin(t *testing.T) {
	var wp wasmPlugin
	if err := yaml.UnmarshalStrict(istioDocs(t, "istio/wasmplugin.yaml")["WasmPlugin"], &wp); err != nil {
		t.Fatalf("parse: %v", err)
	}
	s := wp.Spec
	checks := []struct {
		what string
		ok   bool
	}{
		{"apiVersion extensions.istio.io/v1alpha1, kind WasmPlugin", wp.APIVersion == "extensions.istio.io/v1alpha1" && wp.Kind == "WasmPlugin"},
		{"phase AUTHN", s.Phase == "AUTHN"},
		{"failStrategy FAIL_CLOSE", s.FailStrategy == "FAIL_CLOSE"},
		{"type HTTP", s.Type == "HTTP"},
		{"url oci://", strings.HasPrefix(s.URL, "oci://")},
		{"sha256 is 64 lower-case hex digits", sha256Hex.MatchString(s.SHA256)},
		{"exactly one of selector and targetRefs", (s.Selector != nil) != (len(s.TargetRefs) != 0)},
		{"match mode SERVER", len(s.Match) == 1 && s.Match[0].Mode == "SERVER"},
		{"pluginConfig present", len(s.PluginConfig) > 0},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("WasmPlugin: want %s", c.what)
		}
	}
	// Istio hands pluginConfig (a google.protobuf.Struct) to the plugin as its JSON text.
	c := acceptPluginConfig(t, "istio/wasmplugin.yaml pluginConfig", s.PluginConfig)
	requireHostNeutral(t, "istio/wasmplugin.yaml", c)
	checkIstioJWKSCluster(t, "istio/wasmplugin.yaml", c)
}

// envoyFilter is the subset of networking.istio.io/v1alpha3 EnvoyFilter the
// manifest uses; the patch value is decoded as Envoy's HttpFilter.
type envoyFilter struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		WorkloadSelector struct {
			Labels map[string]string `json:"labels"`
		} `json:"workloadSelector"`
		ConfigPatches []struct {
			ApplyTo string `json:"applyTo"`
			Match   struct {
				Context  string `json:"context"`
				Listener struct {
					FilterChain struct {
						Filter struct {
							Name      string `json:"name"`
							SubFilter struct {
								Name string `json:"name"`
							} `json:"subFilter"`
						} `json:"filter"`
					} `json:"filterChain"`
				} `json:"listener"`
			} `json:"match"`
			Patch struct {
				Operation string          `json:"operation"`
				Value     json.RawMessage `json:"value"`
			} `json:"patch"`
		} `json:"configPatches"`
	} `json:"spec"`
}

func TestIstioEnvoyFilter(t *testing.T) {
	var ef envoyFilter
	if err := yaml.UnmarshalStrict(istioDocs(t, "istio/envoyfilter.yaml")["EnvoyFilter"], &ef); err != nil {
		t.Fatalf("parse: %v", err)
	}
	if ef.APIVersion != "networking.istio.io/v1alpha3" || ef.Kind != "EnvoyFilter" || len(ef.Spec.WorkloadSelector.Labels) == 0 {
		t.Errorf("EnvoyFilter: apiVersion/kind/workloadSelector wrong")
	}
	if len(ef.Spec.ConfigPatches) != 1 {
		t.Fatalf("%d config patches, want 1", len(ef.Spec.ConfigPatches))
	}
	p := ef.Spec.ConfigPatches[0]
	if p.ApplyTo != "HTTP_FILTER" || p.Match.Context != "SIDECAR_INBOUND" || p.Patch.Operation != "INSERT_BEFORE" ||
		p.Match.Listener.FilterChain.Filter.SubFilter.Name != "envoy.filters.http.router" {
		t.Errorf("patch must insert an HTTP filter before the router on SIDECAR_INBOUND")
	}
	hf := &hcmv3.HttpFilter{}
	if err := strictJSON.Unmarshal(p.Patch.Value, hf); err != nil {
		t.Fatalf("patch value is not an Envoy HttpFilter: %v", err)
	}
	if err := validateTree(hf); err != nil {
		t.Fatalf("validate: %v", err)
	}
	ws := collect[*wasmfilterv3.Wasm](t, hf)
	if len(ws) != 1 {
		t.Fatalf("%d Wasm filters, want 1", len(ws))
	}
	c := acceptPluginConfig(t, "istio/envoyfilter.yaml", checkWasm(t, ws[0]))
	requireHostNeutral(t, "istio/envoyfilter.yaml", c)
	checkIstioJWKSCluster(t, "istio/envoyfilter.yaml", c)
}
