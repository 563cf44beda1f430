package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrNoConfig: the file holds no audguard plugin configuration.
var ErrNoConfig = errors.New("no audguard plugin configuration found")

// Type URLs of the Envoy / xDS messages the search recognises.
const (
	wasmType        = "envoy.extensions.filters.http.wasm.v3.Wasm"
	stringValueType = "google.protobuf.StringValue"
)

// Source kinds.
const (
	kindPlugin      = "plugin configuration"
	kindEnvoy       = "Envoy Wasm filter"
	kindEnvoyFilter = "Istio EnvoyFilter"
	kindWasmPlugin  = "Istio WasmPlugin"
)

// source is one plugin configuration found in a file.
type source struct {
	Label  string   // where it was found: a YAML path, or "$" for a whole plugin config
	Kind   string   // kindPlugin, kindEnvoy, kindEnvoyFilter, kindWasmPlugin
	Config []byte   // the bytes the proxy hands the plugin (valid when Err == nil)
	Err    error    // the configuration could not be extracted
	Notes  []string // extraction warnings (YAML 1.1 hazards)

	hint string // names seen around the filter, to pick audguard's among other Wasm filters
}

// findSources finds the audguard plugin configurations in data: a plugin
// configuration JSON (or YAML) document itself; an Envoy configuration with
// an envoy.extensions.filters.http.wasm.v3.Wasm typed_config (directly, in a
// TypedStruct, or in an Istio EnvoyFilter patch.value) whose
// config.configuration is a google.protobuf.StringValue; or an Istio
// WasmPlugin's spec.pluginConfig. Multi-document YAML is searched whole.
// When some Wasm filters mention "audguard" (name, root_id, vm_id, code
// path, url), only those are returned.
func findSources(data []byte) ([]source, error) {
	trimmed := bytes.TrimSpace(data)
	if looksLikePluginJSON(trimmed) {
		// Exactly the bytes the plugin would get: config.Load judges them.
		return []source{{Label: "$", Kind: kindPlugin, Config: data}}, nil
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if bytes.HasPrefix(trimmed, []byte("{")) {
				// Broken JSON: let config.Load report it with its JSON path.
				return []source{{Label: "$", Kind: kindPlugin, Config: data}}, nil
			}
			return nil, fmt.Errorf("not valid YAML or JSON: %w", err)
		}
		docs = append(docs, &doc)
	}
	var out []source
	for i, doc := range docs {
		if len(doc.Content) == 0 {
			continue
		}
		prefix := "$"
		if len(docs) > 1 {
			prefix = "$[doc " + strconv.Itoa(i) + "]"
		}
		out = append(out, searchDoc(doc.Content[0], prefix)...)
	}
	if len(out) == 0 {
		if len(docs) == 1 && len(docs[0].Content) == 1 && isPluginMapping(docs[0].Content[0]) {
			s := source{Label: "$", Kind: kindPlugin}
			s.Config, s.Err = yamlToJSON(docs[0].Content[0], false)
			return []source{s}, nil
		}
		return nil, fmt.Errorf("%w: looked for a plugin configuration object, an %s typed_config with a %s configuration, an Istio WasmPlugin and an Istio EnvoyFilter", ErrNoConfig, wasmType, stringValueType)
	}
	var ours []source
	for _, s := range out {
		if strings.Contains(strings.ToLower(s.hint), "audguard") {
			ours = append(ours, s)
		}
	}
	if len(ours) > 0 {
		return ours, nil
	}
	return out, nil
}

// looksLikePluginJSON: a JSON object whose first member is one of the plugin
// configuration's top-level keys.
func looksLikePluginJSON(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("{")) {
		return false
	}
	rest := bytes.TrimLeft(b[1:], " \t\r\n")
	for _, k := range []string{"mode", "clock_skew_seconds", "max_token_bytes", "issuers", "resources"} {
		if bytes.HasPrefix(rest, []byte(`"`+k+`"`)) {
			return true
		}
	}
	return false
}

func isPluginMapping(n *yaml.Node) bool {
	return mapGet(n, "issuers") != nil || mapGet(n, "resources") != nil
}

// mapGet returns the value of key in mapping n (the last one if repeated), or nil.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var v *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v = n.Content[i+1]
		}
	}
	return v
}

func scalar(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

func typeIs(n *yaml.Node, name string) bool {
	t := scalar(mapGet(n, "@type"))
	return t == name || strings.HasSuffix(t, "/"+name)
}

// searchDoc searches one YAML document.
func searchDoc(root *yaml.Node, prefix string) []source {
	kind := scalar(mapGet(root, "kind"))
	api := scalar(mapGet(root, "apiVersion"))
	if kind == "WasmPlugin" && strings.Contains(api, "istio.io") {
		return []source{wasmPlugin(root, prefix)}
	}
	found := walk(root, prefix, "", 0)
	if kind == "EnvoyFilter" {
		for i := range found {
			found[i].Kind = kindEnvoyFilter
		}
	}
	return found
}

// wasmPlugin reads an Istio WasmPlugin: spec.pluginConfig is a
// google.protobuf.Struct that Istio hands the plugin as JSON. Kubernetes
// tools read manifests as YAML 1.1, so its booleans are read that way.
func wasmPlugin(root *yaml.Node, prefix string) source {
	spec := mapGet(root, "spec")
	s := source{
		Label: prefix + ".spec.pluginConfig",
		Kind:  kindWasmPlugin,
		hint:  scalar(mapGet(mapGet(root, "metadata"), "name")) + " " + scalar(mapGet(spec, "url")),
	}
	pc := mapGet(spec, "pluginConfig")
	if pc == nil || pc.Kind != yaml.MappingNode {
		s.Err = errors.New("spec.pluginConfig is missing or not an object: the plugin would start with no configuration and refuse to start")
		return s
	}
	s.Config, s.Err = yamlToJSON(pc, true)
	s.Notes = yaml11Hazards(pc, s.Label, 0)
	return s
}

// walk finds Wasm typed_configs anywhere under n. name is the nearest
// enclosing `name` (the HTTP filter's name).
func walk(n *yaml.Node, at, name string, depth int) []source {
	if n == nil || depth > 100 {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		if typeIs(n, wasmType) {
			return []source{envoyWasm(n, at, name)}
		}
		if (typeIs(n, "udpa.type.v1.TypedStruct") || typeIs(n, "xds.type.v3.TypedStruct")) &&
			strings.HasSuffix(scalar(mapGet(n, "type_url")), wasmType) {
			return []source{envoyWasm(mapGet(n, "value"), at+".value", name)}
		}
		if v := scalar(mapGet(n, "name")); v != "" {
			name = v
		}
		var out []source
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, walk(n.Content[i+1], at+"."+n.Content[i].Value, name, depth+1)...)
		}
		return out
	case yaml.SequenceNode:
		var out []source
		for i, e := range n.Content {
			out = append(out, walk(e, at+"["+strconv.Itoa(i)+"]", name, depth+1)...)
		}
		return out
	}
	return nil
}

// envoyWasm reads a Wasm filter: config.configuration must be a
// google.protobuf.StringValue whose value is the plugin configuration.
func envoyWasm(w *yaml.Node, at, name string) source {
	cfg := mapGet(w, "config")
	vm := mapGet(cfg, "vm_config")
	code := mapGet(vm, "code")
	s := source{
		Label: at,
		Kind:  kindEnvoy,
		hint: strings.Join([]string{name, scalar(mapGet(cfg, "name")), scalar(mapGet(cfg, "root_id")),
			scalar(mapGet(vm, "vm_id")), scalar(mapGet(mapGet(code, "local"), "filename")),
			scalar(mapGet(mapGet(mapGet(code, "remote"), "http_uri"), "uri"))}, " "),
	}
	conf := mapGet(cfg, "configuration")
	switch {
	case conf == nil:
		s.Err = errors.New("config.configuration is missing: the plugin would start with no configuration and refuse to start")
	case !typeIs(conf, stringValueType):
		s.Err = fmt.Errorf("config.configuration must be a %s holding the JSON configuration (@type %q)", stringValueType, scalar(mapGet(conf, "@type")))
	default:
		v := mapGet(conf, "value")
		if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			s.Err = errors.New("config.configuration.value must be a string holding the JSON configuration")
		} else {
			s.Config = []byte(v.Value)
		}
	}
	return s
}
