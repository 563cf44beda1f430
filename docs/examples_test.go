package docs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	k8syaml "sigs.k8s.io/yaml"
)

// example is one plugin configuration found in a shipped file.
type example struct {
	where string // file and where in it
	data  []byte // the bytes the proxy hands the plugin
}

// shippedExamples returns every plugin configuration shipped under envoy/:
// the demo configuration, the StringValue configurations of Envoy Wasm
// filters (envoy/*.yaml, Istio EnvoyFilters), Istio WasmPlugin pluginConfig
// mappings (as the JSON text Istio hands the plugin), Kong filter configs,
// and nginx's proxy_wasm audguard '…' arguments. Every file must hold at
// least one, so a file whose layout changes is noticed.
func shippedExamples(t *testing.T) []example {
	t.Helper()
	var out []example
	demo := filepath.Join("..", "envoy", "demo-config.json")
	out = append(out, example{"envoy/demo-config.json", readFile(t, demo)})

	var yamls []string
	for _, g := range []string{"*.yaml", "istio/*.yaml", "kong/*.yaml"} {
		m, err := filepath.Glob(filepath.Join("..", "envoy", g))
		if err != nil {
			t.Fatal(err)
		}
		yamls = append(yamls, m...)
	}
	if len(yamls) < 4 {
		t.Fatalf("found %d YAML files under envoy/, want envoy.yaml, the Istio manifests and kong.yaml", len(yamls))
	}
	for _, f := range yamls {
		rel := strings.TrimPrefix(filepath.ToSlash(f), "../")
		found := yamlExamples(t, rel, readFile(t, f))
		if len(found) == 0 {
			t.Errorf("%s: no audguard plugin configuration found", rel)
		}
		out = append(out, found...)
	}

	conf := filepath.Join("..", "envoy", "kong", "nginx.conf")
	found := nginxExamples(readFile(t, conf))
	if len(found) == 0 {
		t.Errorf("envoy/kong/nginx.conf: no proxy_wasm audguard '…' found")
	}
	out = append(out, found...)
	return out
}

// yamlExamples walks every document of a YAML file.
func yamlExamples(t *testing.T, where string, data []byte) []example {
	t.Helper()
	var out []example
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("%s: %v", where, err)
			}
			return out
		}
		walkYAML(&doc, func(key string, parent, v *yaml.Node) {
			switch {
			// An Envoy Wasm filter's configuration: a StringValue.
			case key == "configuration" && v.Kind == yaml.MappingNode:
				typ, val := mapValue(v, "@type"), mapValue(v, "value")
				if typ != nil && strings.HasSuffix(typ.Value, "google.protobuf.StringValue") && val != nil && val.Kind == yaml.ScalarNode {
					out = append(out, example{where + " (line " + itoa(val.Line) + ")", []byte(val.Value)})
				}
			// An Istio WasmPlugin's pluginConfig: a mapping Istio hands over as JSON.
			case key == "pluginConfig" && v.Kind == yaml.MappingNode:
				out = append(out, example{where + " pluginConfig (line " + itoa(v.Line) + ")", nodeJSON(t, where, v)})
			// A Kong filter chain entry: {name: audguard, config: …}.
			case key == "config" && parent.Kind == yaml.MappingNode:
				if n := mapValue(parent, "name"); n != nil && n.Value == "audguard" {
					if v.Kind == yaml.ScalarNode {
						out = append(out, example{where + " (line " + itoa(v.Line) + ")", []byte(v.Value)})
					} else {
						out = append(out, example{where + " (line " + itoa(v.Line) + ")", nodeJSON(t, where, v)})
					}
				}
			}
		})
	}
}

// walkYAML calls fn for every member of every mapping under n.
func walkYAML(n *yaml.Node, fn func(key string, parent, value *yaml.Node)) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			fn(n.Content[i].Value, n, n.Content[i+1])
		}
	}
	for _, c := range n.Content {
		walkYAML(c, fn)
	}
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// nodeJSON renders a YAML subtree as JSON the way Kubernetes tooling does
// (sigs.k8s.io/yaml), which is how Istio's pluginConfig reaches the plugin.
func nodeJSON(t *testing.T, where string, n *yaml.Node) []byte {
	t.Helper()
	y, err := yaml.Marshal(n)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	j, err := k8syaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return j
}

// proxyWASM matches nginx's `proxy_wasm audguard '<config>';` (the example
// keeps ' and \ out of the JSON, so nginx passes it on unchanged).
var proxyWASM = regexp.MustCompile(`(?m)^\s*proxy_wasm\s+audguard\s+'([^']*)'\s*;`)

func nginxExamples(data []byte) []example {
	var out []example
	for _, m := range proxyWASM.FindAllSubmatchIndex(data, -1) {
		line := 1 + bytes.Count(data[:m[2]], []byte("\n"))
		out = append(out, example{"envoy/kong/nginx.conf (line " + itoa(line) + ")", data[m[2]:m[3]]})
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(i int) string { return strconv.Itoa(i) }
