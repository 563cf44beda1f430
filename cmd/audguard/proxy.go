package main

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// proxyProblems judges the proxy configuration around a filter: what the
// filter's own loader cannot see (docs/configuration.md only covers the plugin JSON).
func proxyProblems(s *source, doc *cfgDoc) []problem {
	b := bindingsOf(doc)
	out := authorityFromProblems(s, doc)
	// What the proxy's own API types refuse around the filter (typed.go).
	out = append(out, typedProblems(s)...)
	switch s.Kind {
	case kindEnvoy, kindEnvoyFilter:
		out = append(out, envoyProblems(s, b)...)
	case kindWasmPlugin:
		out = append(out, wasmPluginProblems(s)...)
	case kindKong:
		out = append(out, kongProblems(s, b)...)
	case kindNginx:
		out = append(out, nginxProblems(s, doc, b)...)
	case kindPlugin:
		if s.target == targetNginx {
			out = append(out, targetNginxProblems(s, b)...)
		}
	}
	return out
}

// ngxWasmHost names the ngx_wasm_module host a source runs on: "Kong",
// "nginx" (an nginx file, or a plugin configuration checked with --target
// nginx), or "" for another proxy.
func ngxWasmHost(s *source) string {
	switch {
	case s.Kind == kindKong:
		return "Kong"
	case s.Kind == kindNginx || s.target == targetNginx:
		return "nginx"
	}
	return ""
}

// authorityFromProblems: an authority_from that does not suit the proxy.
func authorityFromProblems(s *source, doc *cfgDoc) []problem {
	if doc.tree == nil {
		return nil
	}
	v := doc.tree.member("authority_from")
	if v == nil || v.kind != '"' {
		return nil
	}
	line, col := doc.pos("authority_from")
	p := problem{Severity: sevWarning, Path: "authority_from", Line: line, Column: col}
	switch {
	case ngxWasmHost(s) != "" && v.str == "authority":
		p.Message = `is "authority": on ngx_wasm_module (` + ngxWasmHost(s) + `) :authority is built from the server name nginx matched, so it cannot tell the MCP servers behind one server block apart`
		p.Fix = `use "auto" (or "host": nginx's $host)`
	case (s.Kind == kindEnvoy || s.Kind == kindEnvoyFilter || s.Kind == kindWasmPlugin) && v.str == "host":
		p.Message = `is "host": Envoy's router matched the exact :authority; comparing the host without its port can take a request routed to one virtual host for another host's resource`
		p.Fix = `use "auto" (or "authority")`
	default:
		return nil
	}
	return []problem{p}
}

// binding is one name a resource is bound by, with its JSON path and place.
type binding struct {
	resource   int
	kind       string // "routes", "virtual_hosts", "authorities"
	name       string
	path       string
	line, col  int
	listPath   string // resources[i].<kind>
	listLine   int
	listColumn int
}

// bindings are the names the plugin configuration binds, read from its JSON
// (so that they are judged even when the loader refuses the configuration).
type bindings struct {
	all         []binding
	authorities bool // some resource is bound by authority
}

func bindingsOf(doc *cfgDoc) bindings {
	var b bindings
	if doc.tree == nil {
		return b
	}
	rs := doc.tree.member("resources")
	if rs == nil || rs.kind != '[' {
		return b
	}
	for i, r := range rs.elems {
		for _, kind := range []string{"routes", "virtual_hosts", "authorities"} {
			list := r.member(kind)
			if list == nil || list.kind != '[' {
				continue
			}
			lp := fmt.Sprintf("resources[%d].%s", i, kind)
			ll, lc := doc.pos(lp)
			for j, e := range list.elems {
				if e.kind != '"' {
					continue
				}
				p := fmt.Sprintf("%s[%d]", lp, j)
				line, col := doc.pos(p)
				b.all = append(b.all, binding{resource: i, kind: kind, name: e.str, path: p, line: line, col: col,
					listPath: lp, listLine: ll, listColumn: lc})
				if kind == "authorities" {
					b.authorities = true
				}
			}
		}
	}
	return b
}

func nodeProblem(sev string, n *yaml.Node, path, msg, fix string) problem {
	p := problem{Severity: sev, Path: path, Message: msg, Fix: fix}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	return p
}

// envoyProblems: fail-open settings, the filter's place in http_filters (or
// the EnvoyFilter patch), the connection manager's hardening, and the
// plugin's bindings against the route configuration.
func envoyProblems(s *source, b bindings) []problem {
	var out []problem
	e := s.env
	cfgPath := s.Label + ".config"
	yaml11 := s.Kind == kindEnvoyFilter

	// Fail-open in any form.
	if k, v := mapGetKV(e.wasmCfg, "fail_open"); v != nil && yamlBool(v, yaml11) {
		out = append(out, nodeProblem(sevError, k, cfgPath+".fail_open",
			"is true: when the Wasm VM fails (a crash, a failed start, a configuration the plugin refuses) every request passes through unchecked",
			"remove fail_open (deprecated since Envoy 1.33) and set failure_policy: FAIL_CLOSED"))
	}
	if _, v := mapGetKV(e.wasmCfg, "failure_policy"); v != nil && (scalar(v) == "FAIL_OPEN" || scalar(v) == "3") {
		out = append(out, nodeProblem(sevError, v, cfgPath+".failure_policy",
			"is FAIL_OPEN: when the Wasm VM fails every request passes through unchecked",
			"set failure_policy: FAIL_CLOSED (or FAIL_RELOAD, which falls back to FAIL_CLOSED)"))
	}
	if k, v := mapGetKV(e.entry, "disabled"); v != nil && yamlBool(v, yaml11) {
		out = append(out, nodeProblem(sevError, k, e.entryPath+".disabled",
			"is true: the filter is disabled by default and runs only on routes whose typed_per_filter_config enables it, every other request passes through unchecked",
			"remove disabled: true; disable the filter on the few routes that need no token (a health check) instead"))
	}

	// Placement: before the router.
	if e.filters != nil {
		for i, f := range e.filters.Content {
			if isRouter(f) && i < e.filterIdx {
				out = append(out, nodeProblem(sevError, e.entry, e.entryPath,
					fmt.Sprintf("the filter comes after the router (http_filters[%d]): the router forwards the request before the filter runs, so no token is checked", i),
					"move it above envoy.filters.http.router, below any filter that can change the route"))
				break
			}
		}
	}
	if e.patch != nil {
		op := mapGet(mapGet(e.patch, "patch"), "operation")
		sub := scalar(mapGet(mapGet(mapGet(mapGet(mapGet(mapGet(e.patch, "match"), "listener"), "filterChain"), "filter"), "subFilter"), "name"))
		router := sub == "envoy.filters.http.router" || sub == "envoy.router"
		opPath := e.patchPath + ".patch.operation"
		switch {
		case scalar(op) == "ADD":
			out = append(out, nodeProblem(sevError, op, opPath,
				"is ADD: it appends the filter at the end of the HTTP filter chain, after the router: the router forwards the request before the filter runs",
				"use INSERT_BEFORE with subFilter envoy.filters.http.router"))
		case scalar(op) == "INSERT_AFTER" && router:
			out = append(out, nodeProblem(sevError, op, opPath,
				"is INSERT_AFTER envoy.filters.http.router: the filter comes after the router, which forwards the request before the filter runs",
				"use INSERT_BEFORE"))
		case scalar(op) == "REPLACE" && router:
			out = append(out, nodeProblem(sevError, op, opPath,
				"is REPLACE of envoy.filters.http.router: it removes the router", "use INSERT_BEFORE"))
		}
	}

	if e.hcm == nil || s.Kind != kindEnvoy {
		return out // an EnvoyFilter patches a connection manager Istio generates
	}
	out = append(out, hardeningProblems(e, b)...)

	rt := routeTableFor(e.doc, e.hcm, e.hcmPath)
	if rt == nil {
		return out
	}
	out = append(out, bindingProblems(e, rt, b)...)
	return out
}

// yamlBool: true, or with yaml11 also y/yes/on.
func yamlBool(n *yaml.Node, yaml11 bool) bool {
	if yamlTrue(n) {
		return true
	}
	return yaml11 && n.Kind == yaml.ScalarNode && n.Style == 0 && yaml11Bools[n.Value] && yaml11Word(n.Value) == "true"
}

func isRouter(f *yaml.Node) bool {
	name := scalar(mapGet(f, "name"))
	return name == "envoy.filters.http.router" || name == "envoy.router" ||
		typeIs(mapGet(f, "typed_config"), "envoy.extensions.filters.http.router.v3.Router")
}

// hardeningProblems: the HTTP connection manager settings the README asks
// for, one warning per missing setting.
func hardeningProblems(e proxyEnv, b bindings) []problem {
	var out []problem
	hcm := e.hcm
	miss := func(field, msg, fix string) {
		out = append(out, nodeProblem(sevWarning, hcm, e.hcmPath+"."+field, msg, fix))
	}
	if !yamlTrue(mapGet(hcm, "normalize_path")) {
		miss("normalize_path", "is not set: the filter matches public and metadata paths byte-exact, so /./healthz or /a/../mcp must be normalised before it (RFC 3986 §6) for the path it judges to be the one the router and the upstream see",
			"set normalize_path: true")
	}
	if !yamlTrue(mapGet(hcm, "merge_slashes")) {
		miss("merge_slashes", "is not set: //mcp reaches the filter as is, while upstreams commonly read it as /mcp",
			"set merge_slashes: true")
	}
	switch v := scalar(mapGet(hcm, "path_with_escaped_slashes_action")); v {
	case "REJECT_REQUEST", "UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD":
	default:
		what := "is not set"
		if v != "" {
			what = "is " + v
		}
		miss("path_with_escaped_slashes_action", what+": a path with %2F or %5C means one path to the filter and the router and another to an upstream that decodes it",
			"set path_with_escaped_slashes_action: REJECT_REQUEST")
	}
	switch v := scalar(mapGet(mapGet(hcm, "common_http_protocol_options"), "headers_with_underscores_action")); v {
	case "REJECT_REQUEST", "DROP_HEADER":
	default:
		what := "is not set (ALLOW)"
		if v != "" {
			what = "is " + v
		}
		miss("common_http_protocol_options.headers_with_underscores_action",
			what+": a client can send x_mcp_subject, which upstreams that read _ as - take for the claim header the filter sets",
			"set common_http_protocol_options.headers_with_underscores_action: REJECT_REQUEST")
	}
	if b.authorities {
		if !yamlTrue(mapGet(hcm, "strip_any_host_port")) {
			miss("strip_any_host_port", "is not set while resources are bound by authorities: a request for host:443 reaches the router and the filter with the port, so it may miss the virtual host and the resource that host names",
				"set strip_any_host_port: true (then bind a resource on a non-default port by virtual host name)")
		}
		if !yamlTrue(mapGet(hcm, "strip_trailing_host_dot")) {
			miss("strip_trailing_host_dot", "is not set while resources are bound by authorities: a request for host. (trailing dot) reaches the router and the filter with the dot, so it may miss the virtual host and the resource that host names",
				"set strip_trailing_host_dot: true")
		}
	}
	return out
}

// bindingProblems judges the plugin's route, virtual host and authority
// bindings against the route configuration the filter runs under.
func bindingProblems(e proxyEnv, rt *routeTable, b bindings) []problem {
	var out []problem
	where := "the route configuration"
	if rt.name != "" {
		where += " " + strconv.Quote(rt.name)
	}
	if rt.node != nil {
		where += fmt.Sprintf(" (line %d)", rt.node.Line)
	}
	vhosts := map[string]bool{}
	for _, n := range rt.vhostNames() {
		vhosts[n] = true
	}
	routes := map[string]bool{}
	for _, n := range rt.routeNames() {
		routes[n] = true
	}
	stripPort := yamlTrue(mapGet(e.hcm, "strip_any_host_port"))
	warnedList := map[string]bool{}
	for _, bd := range b.all {
		switch bd.kind {
		case "virtual_hosts":
			if !vhosts[bd.name] {
				out = append(out, problem{Severity: sevError, Path: bd.path, Line: bd.line, Column: bd.col,
					Message: fmt.Sprintf("virtual host %q is not defined by %s: no request carries that xds.virtual_host_name, so this binding never applies", bd.name, where),
					Fix:     "use one of " + quoteAll(rt.vhostNames())})
			}
		case "routes":
			if !routes[bd.name] {
				out = append(out, problem{Severity: sevError, Path: bd.path, Line: bd.line, Column: bd.col,
					Message: fmt.Sprintf("route %q is not defined by %s: no request carries that xds.route_name, so this binding never applies", bd.name, where),
					Fix:     "use one of " + quoteAll(rt.routeNames())})
			}
		case "authorities":
			a := strings.ToLower(bd.name)
			if stripPort && hostOnlyPort(a) != a {
				out = append(out, problem{Severity: sevWarning, Path: bd.path, Line: bd.line, Column: bd.col,
					Message: fmt.Sprintf("authority %q has a port, but strip_any_host_port removes the port before the filter sees :authority: this entry never matches", bd.name),
					Fix:     "bind this resource by virtual host name instead"})
				continue
			}
			hm, ok := rt.match(a)
			if !ok {
				out = append(out, problem{Severity: sevWarning, Path: bd.path, Line: bd.line, Column: bd.col,
					Message: fmt.Sprintf("no virtual host of %s has a domain matching authority %q: Envoy answers such requests 404, so this binding never applies", where, bd.name),
					Fix:     "add the authority to the domains of the MCP server's virtual host, or correct it"})
				continue
			}
			if !warnedList[bd.listPath] {
				warnedList[bd.listPath] = true
				out = append(out, problem{Severity: sevWarning, Path: bd.listPath, Line: bd.listLine, Column: bd.listColumn,
					Message: fmt.Sprintf("resources[%d] is bound by authority while %s names its virtual hosts: on Envoy prefer virtual_hosts or routes, so that the filter judges the router's own match and a catch-all virtual host can never be taken for a resource", bd.resource, where),
					Fix:     fmt.Sprintf("authority %q is routed to virtual host %q (domain %q): bind \"virtual_hosts\": [%q]", bd.name, hm.vh.name, hm.domain, hm.vh.name)})
			}
		}
	}
	return out
}

func quoteAll(names []string) string {
	if len(names) == 0 {
		return "(none are defined)"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// wasmPluginProblems: an Istio WasmPlugin that fails open.
func wasmPluginProblems(s *source) []problem {
	spec := mapGet(s.env.node, "spec")
	if v := mapGet(spec, "failStrategy"); scalar(v) == "FAIL_OPEN" {
		prefix := strings.TrimSuffix(s.Label, ".pluginConfig")
		return []problem{nodeProblem(sevError, v, prefix+".failStrategy",
			"is FAIL_OPEN: when the module cannot be fetched or the VM fails, Istio skips the filter and every request passes through unchecked",
			"set failStrategy: FAIL_CLOSE (the default)")}
	}
	return nil
}

// kongProblems: a disabled filter or chain, name bindings Kong cannot serve,
// and authorities no route of the chain accepts.
func kongProblems(s *source, b bindings) []problem {
	var out []problem
	e := s.env
	if k, v := mapGetKV(e.kongChain, "enabled"); v != nil && scalar(v) == "false" {
		out = append(out, nodeProblem(sevError, k, e.kongChainPath+".enabled",
			"the filter chain is disabled: requests reach the service without a token check", "remove enabled: false"))
	}
	if k, v := mapGetKV(e.node, "enabled"); v != nil && scalar(v) == "false" {
		out = append(out, nodeProblem(sevError, k, s.Label+".enabled",
			"the filter is disabled: requests reach the service without a token check", "remove enabled: false"))
	}
	host := ngxHost{name: "Kong", bindFix: "bind the resource by authorities (the route's hosts) or default",
		checkHosts: true, hosts: e.kongHosts, anyHost: e.kongAnyHost,
		hostsMsg: func(authority, hosts string) string {
			return fmt.Sprintf("authority %q is not a host of the routes this filter chain runs on (%s): Kong never sends such requests to the filter", authority, hosts)
		},
		hostsFix: "add it to the route's hosts, or correct it"}
	return append(out, ngxWasmBindingProblems(b, host)...)
}

// ngxHost is what the binding checks of an ngx_wasm_module host (Kong,
// nginx) need to know about it.
type ngxHost struct {
	name    string // "Kong" or "nginx"
	bindFix string // how to bind a resource there
	// checkHosts: hosts lists every host that can send requests to the
	// filter (Kong: the hosts of the chain's routes; nginx: the server_name
	// entries of the servers the proxy_wasm runs in), unless anyHost.
	checkHosts bool
	hosts      []kongHost
	names      []string // the hosts as written, for the message (default: hosts)
	anyHost    bool
	hostsMsg   func(authority, hosts string) string
	hostsFix   string
}

// ngxWasmBindingProblems: on ngx_wasm_module route and virtual host names
// never match (no xds.* properties), and an authority no host of the proxy
// configuration accepts never reaches the filter.
func ngxWasmBindingProblems(b bindings, h ngxHost) []problem {
	var out []problem
	for _, bd := range b.all {
		switch bd.kind {
		case "routes", "virtual_hosts":
			out = append(out, problem{Severity: sevError, Path: bd.path, Line: bd.line, Column: bd.col,
				Message: fmt.Sprintf("%s (ngx_wasm_module) has no xds.* properties: the %s name %q never matches", h.name, map[string]string{"routes": "route", "virtual_hosts": "virtual host"}[bd.kind], bd.name),
				Fix:     h.bindFix})
		case "authorities":
			if !h.checkHosts || h.anyHost || kongHostsAccept(h.hosts, bd.name) {
				continue
			}
			hs := h.names
			if hs == nil {
				for _, k := range h.hosts {
					hs = append(hs, k.host)
				}
			}
			list := strings.Join(hs, ", ")
			if list == "" {
				list = "none"
			}
			out = append(out, problem{Severity: sevWarning, Path: bd.path, Line: bd.line, Column: bd.col,
				Message: h.hostsMsg(bd.name, list), Fix: h.hostsFix})
		}
	}
	return out
}

// kongHostsAccept: a Kong route host (exact, `*.example.com` or
// `example.*`; a port, when given, must be the authority's) accepts the
// authority.
func kongHostsAccept(hosts []kongHost, authority string) bool {
	a := strings.ToLower(authority)
	ah := hostOnlyPort(a)
	for _, h := range hosts {
		p := strings.ToLower(h.host)
		if hostOnlyPort(p) != p {
			if p == a {
				return true
			}
			continue
		}
		switch {
		case p == ah:
			return true
		case strings.HasPrefix(p, "*.") && strings.HasSuffix(ah, p[1:]) && len(ah) > len(p)-1:
			return true
		case strings.HasSuffix(p, ".*") && strings.HasPrefix(ah, p[:len(p)-1]) && len(ah) > len(p)-1:
			return true
		}
	}
	return false
}
