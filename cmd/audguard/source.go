package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
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
	kindKong        = "Kong filter"
	kindNginx       = "nginx proxy_wasm"
)

// targetNginx is `check --target nginx`: a plugin configuration file that
// will be wrapped, as it is, into one nginx parameter.
const targetNginx = "nginx"

// source is one plugin configuration found in a file.
type source struct {
	Label  string    // where it was found: a YAML path, or "$" for a whole plugin config
	Kind   string    // kindPlugin, kindEnvoy, kindEnvoyFilter, kindWasmPlugin, kindKong, kindNginx
	Line   int       // line of the filter (or configuration) in the file; 0 when unknown
	Config []byte    // the bytes the proxy hands the plugin (valid when Err == nil)
	Err    error     // the configuration could not be extracted
	Notes  []problem // extraction warnings (YAML 1.1 hazards)

	hint string // names seen around the filter, to pick audguard's among other Wasm filters

	file    []byte     // the whole file
	whole   bool       // Config is the file itself: JSON offsets are file offsets
	value   *yaml.Node // the scalar holding Config (StringValue value, Kong config), if any
	mapping *yaml.Node // the YAML mapping Config was rendered from (WasmPlugin pluginConfig), if any
	yaml11  bool       // mapping keys were read as YAML 1.1
	offs    []int      // nginx: the file offset of each byte of Config, then of its end
	env     proxyEnv   // where the filter sits in the proxy configuration
	target  string     // a plugin configuration file checked for a proxy (--target nginx)
}

// proxyEnv is what surrounds a filter in the proxy configuration: the
// proxy-configuration checks (proxy.go) and explain's route selection read it.
type proxyEnv struct {
	doc     *yaml.Node // the YAML document
	node    *yaml.Node // the Wasm typed_config, the WasmPlugin, or the Kong filter
	wasmCfg *yaml.Node // Envoy: the Wasm message's config (PluginConfig)

	hcm       *yaml.Node // Envoy: the HttpConnectionManager holding the filter
	hcmPath   string
	entry     *yaml.Node // Envoy: the http_filters entry (name, typed_config, disabled)
	entryPath string
	filters   *yaml.Node // Envoy: the http_filters sequence
	filterIdx int
	patch     *yaml.Node // EnvoyFilter: the configPatches entry
	patchPath string

	kongChain     *yaml.Node // Kong: the filter chain
	kongChainPath string
	kongHosts     []kongHost // Kong: hosts of the routes whose traffic runs the chain
	kongAnyHost   bool       // Kong: some such route accepts every host

	ngx *ngxEnv // nginx: the proxy_wasm directive and what surrounds it
}

// kongHost is one entry of a Kong route's hosts.
type kongHost struct {
	host string
	node *yaml.Node
}

// findSources finds the audguard plugin configurations in data: a plugin
// configuration JSON (or YAML) document itself; an Envoy configuration with
// an envoy.extensions.filters.http.wasm.v3.Wasm typed_config (directly, in a
// TypedStruct, or in an Istio EnvoyFilter patch.value) whose
// config.configuration is a google.protobuf.StringValue; an Istio
// WasmPlugin's spec.pluginConfig; a Kong declarative configuration's
// filter_chains[].filters[].config (ngx_wasm_module); or the configuration
// parameter of every proxy_wasm directive of an nginx configuration
// (ngx_wasm_module; see looksLikeNginx). Multi-document YAML is searched
// whole. When some filters mention "audguard" (name, root_id, vm_id, code
// path, url; nginx: the module's name and path), only those are returned.
func findSources(data []byte) ([]source, error) {
	sources, _, err := readSources(data)
	return sources, err
}

// readSources is findSources, with notes on what the search did not read
// (an nginx file's include directives).
func readSources(data []byte) ([]source, []string, error) {
	trimmed := bytes.TrimSpace(data)
	if looksLikePluginJSON(trimmed) {
		// Exactly the bytes the plugin would get: config.Load judges them.
		return []source{{Label: "$", Kind: kindPlugin, Config: data, file: data, whole: true}}, nil, nil
	}
	if !bytes.HasPrefix(trimmed, []byte("{")) && !bytes.HasPrefix(trimmed, []byte("[")) {
		if c := parseNginxConf(data); looksLikeNginx(c) {
			out, notes, err := nginxSources(c, data)
			if err != nil {
				return nil, notes, err
			}
			return ours(out), notes, nil
		}
	}
	out, err := yamlSources(data, trimmed)
	return out, nil, err
}

// yamlSources searches a YAML (or JSON) document stream.
func yamlSources(data, trimmed []byte) ([]source, error) {
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
				return []source{{Label: "$", Kind: kindPlugin, Config: data, file: data, whole: true}}, nil
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
	for i := range out {
		out[i].file = data
	}
	// File order (a Kong file's top-level filter_chains may come first).
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	if len(out) == 0 {
		if len(docs) == 1 && len(docs[0].Content) == 1 && isPluginMapping(docs[0].Content[0]) {
			m := docs[0].Content[0]
			s := source{Label: "$", Kind: kindPlugin, Line: m.Line, file: data, mapping: m}
			s.Config, s.Err = yamlToJSON(m, false)
			return []source{s}, nil
		}
		return nil, fmt.Errorf("%w: looked for a plugin configuration object, an %s typed_config with a %s configuration, an Istio WasmPlugin, an Istio EnvoyFilter, a Kong filter chain and an nginx proxy_wasm directive", ErrNoConfig, wasmType, stringValueType)
	}
	return ours(out), nil
}

// ours keeps the filters that mention "audguard", if any do; else all.
func ours(all []source) []source {
	var out []source
	for _, s := range all {
		if strings.Contains(strings.ToLower(s.hint), "audguard") {
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		return out
	}
	return all
}

// looksLikePluginJSON: a JSON object whose first member is one of the plugin
// configuration's top-level keys.
func looksLikePluginJSON(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("{")) {
		return false
	}
	rest := bytes.TrimLeft(b[1:], " \t\r\n")
	for _, k := range []string{"mode", "authority_from", "clock_skew_seconds", "max_token_bytes", "cache_size", "shared_cache_slots", "issuers", "resources"} {
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
	_, v := mapGetKV(n, key)
	return v
}

// mapGetKV returns the key and value nodes of key in mapping n (the last
// ones if repeated), or nils.
func mapGetKV(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	var k, v *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			k, v = n.Content[i], n.Content[i+1]
		}
	}
	return k, v
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
	if isKong(root) {
		return kongSources(root, prefix)
	}
	found := walk(root, prefix, walkCtx{doc: root}, 0)
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
		Line:  root.Line,
		hint:  scalar(mapGet(mapGet(root, "metadata"), "name")) + " " + scalar(mapGet(spec, "url")),
		env:   proxyEnv{doc: root, node: root},
	}
	pc := mapGet(spec, "pluginConfig")
	if pc == nil || pc.Kind != yaml.MappingNode {
		s.Err = errors.New("spec.pluginConfig is missing or not an object: the plugin would start with no configuration and refuse to start")
		return s
	}
	s.Line = pc.Line
	s.mapping, s.yaml11 = pc, true
	s.Config, s.Err = yamlToJSON(pc, true)
	s.Notes = yaml11Hazards(pc, s.Label, 0)
	return s
}

// walkCtx is what walk has seen on its way down.
type walkCtx struct {
	doc       *yaml.Node
	name      string // the nearest enclosing `name` (the HTTP filter's name)
	hcm       *yaml.Node
	hcmPath   string
	filters   *yaml.Node
	filterIdx int
	entry     *yaml.Node
	entryPath string
	patch     *yaml.Node
	patchPath string
}

const hcmType = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"

// walk finds Wasm typed_configs anywhere under n.
func walk(n *yaml.Node, at string, c walkCtx, depth int) []source {
	if n == nil || depth > 100 {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		if typeIs(n, wasmType) {
			return []source{envoyWasm(n, at, c)}
		}
		if (typeIs(n, "udpa.type.v1.TypedStruct") || typeIs(n, "xds.type.v3.TypedStruct")) &&
			strings.HasSuffix(scalar(mapGet(n, "type_url")), wasmType) {
			return []source{envoyWasm(mapGet(n, "value"), at+".value", c)}
		}
		if typeIs(n, hcmType) {
			c.hcm, c.hcmPath = n, at
		}
		if v := scalar(mapGet(n, "name")); v != "" {
			c.name = v
		}
		if mapGet(n, "applyTo") != nil && mapGet(n, "patch") != nil {
			c.patch, c.patchPath = n, at
		}
		var out []source
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, v := n.Content[i].Value, n.Content[i+1]
			cc := c
			if key == "http_filters" && v.Kind == yaml.SequenceNode && n == c.hcm {
				cc.filters = v
			}
			out = append(out, walk(v, at+"."+key, cc, depth+1)...)
		}
		return out
	case yaml.SequenceNode:
		var out []source
		for i, e := range n.Content {
			cc := c
			p := at + "[" + strconv.Itoa(i) + "]"
			if n == c.filters {
				cc.filterIdx, cc.entry, cc.entryPath = i, e, p
			}
			out = append(out, walk(e, p, cc, depth+1)...)
		}
		return out
	}
	return nil
}

// envoyWasm reads a Wasm filter: config.configuration must be a
// google.protobuf.StringValue whose value is the plugin configuration.
func envoyWasm(w *yaml.Node, at string, c walkCtx) source {
	cfg := mapGet(w, "config")
	vm := mapGet(cfg, "vm_config")
	code := mapGet(vm, "code")
	s := source{
		Label: at,
		Kind:  kindEnvoy,
		hint: strings.Join([]string{c.name, scalar(mapGet(cfg, "name")), scalar(mapGet(cfg, "root_id")),
			scalar(mapGet(vm, "vm_id")), scalar(mapGet(mapGet(code, "local"), "filename")),
			scalar(mapGet(mapGet(mapGet(code, "remote"), "http_uri"), "uri"))}, " "),
		env: proxyEnv{doc: c.doc, node: w, wasmCfg: cfg, hcm: c.hcm, hcmPath: c.hcmPath,
			entry: c.entry, entryPath: c.entryPath, filters: c.filters, filterIdx: c.filterIdx,
			patch: c.patch, patchPath: c.patchPath},
	}
	if w != nil {
		s.Line = w.Line
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
			s.Config, s.value = []byte(v.Value), v
		}
	}
	return s
}

// isKong: a Kong declarative configuration (_format_version, or top-level
// services / routes / filter_chains lists).
func isKong(root *yaml.Node) bool {
	if mapGet(root, "_format_version") != nil {
		return true
	}
	for _, k := range []string{"services", "filter_chains"} {
		if v := mapGet(root, k); v != nil && v.Kind == yaml.SequenceNode {
			return true
		}
	}
	return false
}

// kongSources finds the filters of every Kong filter chain: nested in a
// service or a route, or top level with a `service` or `route` reference.
// Each chain runs for the requests its service's (or route's) routes
// accept; their hosts are recorded for the proxy-configuration checks.
func kongSources(root *yaml.Node, prefix string) []source {
	routesOf := map[string][]*yaml.Node{}
	routes := map[string]*yaml.Node{}
	svcs := mapGet(root, "services")
	if svcs != nil && svcs.Kind == yaml.SequenceNode {
		for _, svc := range svcs.Content {
			name := scalar(mapGet(svc, "name"))
			if rs := mapGet(svc, "routes"); rs != nil && rs.Kind == yaml.SequenceNode {
				for _, r := range rs.Content {
					routesOf[name] = append(routesOf[name], r)
					routes[scalar(mapGet(r, "name"))] = r
				}
			}
		}
	}
	if rs := mapGet(root, "routes"); rs != nil && rs.Kind == yaml.SequenceNode {
		for _, r := range rs.Content {
			routes[scalar(mapGet(r, "name"))] = r
			if svc := kongRef(mapGet(r, "service")); svc != "" {
				routesOf[svc] = append(routesOf[svc], r)
			}
		}
	}
	var out []source
	chains := func(owner *yaml.Node, ownerRoutes []*yaml.Node, list *yaml.Node, at string) {
		if list == nil || list.Kind != yaml.SequenceNode {
			return
		}
		for i, ch := range list.Content {
			cat := at + "[" + strconv.Itoa(i) + "]"
			rs := ownerRoutes
			if owner == nil {
				if svc := kongRef(mapGet(ch, "service")); svc != "" {
					rs = routesOf[svc]
				} else if r := routes[kongRef(mapGet(ch, "route"))]; r != nil {
					rs = []*yaml.Node{r}
				}
			}
			out = append(out, kongChain(root, ch, cat, rs)...)
		}
	}
	if svcs != nil && svcs.Kind == yaml.SequenceNode {
		for i, svc := range svcs.Content {
			at := prefix + ".services[" + strconv.Itoa(i) + "]"
			chains(svc, routesOf[scalar(mapGet(svc, "name"))], mapGet(svc, "filter_chains"), at+".filter_chains")
			if rs := mapGet(svc, "routes"); rs != nil && rs.Kind == yaml.SequenceNode {
				for j, r := range rs.Content {
					chains(r, []*yaml.Node{r}, mapGet(r, "filter_chains"), at+".routes["+strconv.Itoa(j)+"].filter_chains")
				}
			}
		}
	}
	if rs := mapGet(root, "routes"); rs != nil && rs.Kind == yaml.SequenceNode {
		for j, r := range rs.Content {
			chains(r, []*yaml.Node{r}, mapGet(r, "filter_chains"), prefix+".routes["+strconv.Itoa(j)+"].filter_chains")
		}
	}
	chains(nil, nil, mapGet(root, "filter_chains"), prefix+".filter_chains")
	return out
}

// kongRef reads a reference to a service or route: a name, or {name: …} / {id: …}.
func kongRef(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	if v := scalar(mapGet(n, "name")); v != "" {
		return v
	}
	return scalar(mapGet(n, "id"))
}

// kongChain reads the filters of one chain. A filter's config is the string
// handed to the plugin verbatim; a mapping (a filter with a JSON schema) is
// rendered as JSON.
func kongChain(root, chain *yaml.Node, at string, routes []*yaml.Node) []source {
	filters := mapGet(chain, "filters")
	if filters == nil || filters.Kind != yaml.SequenceNode {
		return nil
	}
	var hosts []kongHost
	anyHost := len(routes) == 0
	for _, r := range routes {
		hs := mapGet(r, "hosts")
		if hs == nil || hs.Kind != yaml.SequenceNode || len(hs.Content) == 0 {
			anyHost = true
			continue
		}
		for _, h := range hs.Content {
			hosts = append(hosts, kongHost{host: scalar(h), node: h})
		}
	}
	var out []source
	for i, f := range filters.Content {
		fat := at + ".filters[" + strconv.Itoa(i) + "]"
		s := source{
			Label: fat,
			Kind:  kindKong,
			Line:  f.Line,
			hint:  scalar(mapGet(f, "name")),
			env: proxyEnv{doc: root, node: f, kongChain: chain, kongChainPath: at,
				kongHosts: hosts, kongAnyHost: anyHost},
		}
		cfg := mapGet(f, "config")
		switch {
		case cfg == nil:
			s.Err = errors.New("config is missing: the plugin would start with no configuration and refuse to start")
		case cfg.Kind == yaml.ScalarNode && cfg.ShortTag() == "!!str":
			s.Config, s.value = []byte(cfg.Value), cfg
		case cfg.Kind == yaml.MappingNode:
			s.mapping = cfg
			s.Config, s.Err = yamlToJSON(cfg, false)
		default:
			s.Err = errors.New("config must be a string holding the JSON configuration")
		}
		out = append(out, s)
	}
	return out
}
