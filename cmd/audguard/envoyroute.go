package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// routeTable is an Envoy RouteConfiguration as the CLI needs it: virtual
// host names and domains, route names and matches.
type routeTable struct {
	name       string
	node       *yaml.Node
	path       string
	ignorePort bool // ignore_port_in_host_matching
	vhosts     []*vhost
}

type vhost struct {
	name    string
	node    *yaml.Node
	path    string
	domains []string // lower case, as Envoy compares them
	routes  []*yaml.Node
	matcher bool // a matcher tree instead of routes: explain cannot follow it
}

const routeConfigType = "envoy.config.route.v3.RouteConfiguration"

// routeTableFor finds the route configuration of an HTTP connection
// manager: inline (route_config), or through rds by name when the file
// holds a RouteConfiguration of that name. Nil when the file has none.
func routeTableFor(doc, hcm *yaml.Node, hcmPath string) *routeTable {
	if rc := mapGet(hcm, "route_config"); rc != nil && rc.Kind == yaml.MappingNode {
		return readRouteTable(rc, hcmPath+".route_config")
	}
	name := scalar(mapGet(mapGet(hcm, "rds"), "route_config_name"))
	if name == "" {
		return nil
	}
	var found *routeTable
	var find func(n *yaml.Node, at string, depth int)
	find = func(n *yaml.Node, at string, depth int) {
		if n == nil || found != nil || depth > 100 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			if typeIs(n, routeConfigType) && scalar(mapGet(n, "name")) == name {
				found = readRouteTable(n, at)
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				find(n.Content[i+1], at+"."+n.Content[i].Value, depth+1)
			}
		case yaml.SequenceNode:
			for i, e := range n.Content {
				find(e, at+"["+strconv.Itoa(i)+"]", depth+1)
			}
		}
	}
	find(doc, "$", 0)
	return found
}

func readRouteTable(rc *yaml.Node, at string) *routeTable {
	t := &routeTable{name: scalar(mapGet(rc, "name")), node: rc, path: at,
		ignorePort: yamlTrue(mapGet(rc, "ignore_port_in_host_matching"))}
	vhs := mapGet(rc, "virtual_hosts")
	if vhs == nil || vhs.Kind != yaml.SequenceNode {
		return t
	}
	for i, v := range vhs.Content {
		vh := &vhost{name: scalar(mapGet(v, "name")), node: v, path: at + ".virtual_hosts[" + strconv.Itoa(i) + "]",
			matcher: mapGet(v, "matcher") != nil}
		if ds := mapGet(v, "domains"); ds != nil && ds.Kind == yaml.SequenceNode {
			for _, d := range ds.Content {
				vh.domains = append(vh.domains, strings.ToLower(scalar(d)))
			}
		}
		if rs := mapGet(v, "routes"); rs != nil && rs.Kind == yaml.SequenceNode {
			vh.routes = rs.Content
		}
		t.vhosts = append(t.vhosts, vh)
	}
	return t
}

// yamlTrue: a YAML boolean true, or a google.protobuf.BoolValue {value: true}.
func yamlTrue(n *yaml.Node) bool {
	if n != nil && n.Kind == yaml.MappingNode {
		n = mapGet(n, "value")
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	var b bool
	return n.ShortTag() == "!!bool" && n.Decode(&b) == nil && b
}

func (t *routeTable) vhostNames() []string {
	var out []string
	for _, v := range t.vhosts {
		out = append(out, v.name)
	}
	return out
}

func (t *routeTable) routeNames() []string {
	var out []string
	for _, v := range t.vhosts {
		for _, r := range v.routes {
			if n := scalar(mapGet(r, "name")); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// hostMatch is the virtual host Envoy's router picks for a host, and why.
type hostMatch struct {
	vh     *vhost
	domain string // the domain that matched
	how    string // "exact", "suffix wildcard", "prefix wildcard", "catch-all"
}

// match picks the virtual host for host as Envoy's router does
// (RouteConfiguration: the Host is lower-cased, its port dropped with
// ignore_port_in_host_matching; then an exact domain; then the longest
// suffix wildcard `*.foo.com` / `*-bar.foo.com`; then the longest prefix
// wildcard `foo.*`; then `*`. A wildcard never matches the empty string).
func (t *routeTable) match(host string) (hostMatch, bool) {
	host = strings.ToLower(host)
	if t.ignorePort {
		host = hostOnlyPort(host)
	}
	var suffix, prefix []hostMatch
	var star *hostMatch
	for _, v := range t.vhosts {
		for _, d := range v.domains {
			switch {
			case d == "*":
				star = &hostMatch{v, d, "catch-all"}
			case d == host:
				return hostMatch{v, d, "exact"}, true
			case strings.HasPrefix(d, "*"):
				if len(host) > len(d)-1 && strings.HasSuffix(host, d[1:]) {
					suffix = append(suffix, hostMatch{v, d, "suffix wildcard"})
				}
			case strings.HasSuffix(d, "*"):
				if len(host) > len(d)-1 && strings.HasPrefix(host, d[:len(d)-1]) {
					prefix = append(prefix, hostMatch{v, d, "prefix wildcard"})
				}
			}
		}
	}
	for _, list := range [][]hostMatch{suffix, prefix} {
		if len(list) > 0 {
			sort.SliceStable(list, func(i, j int) bool { return len(list[i].domain) > len(list[j].domain) })
			return list[0], true
		}
	}
	if star != nil {
		return *star, true
	}
	return hostMatch{}, false
}

// hostOnlyPort drops a ":port" from host (not from a bare IPv6 address).
func hostOnlyPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.HasSuffix(host[:i], ":") || (strings.HasPrefix(host, "[") && !strings.HasSuffix(host[:i], "]")) {
		return host
	}
	if _, err := strconv.Atoi(host[i+1:]); err != nil {
		return host
	}
	return host[:i]
}

// routePick is the route Envoy's router picks in a virtual host.
type routePick struct {
	node *yaml.Node
	name string
	how  string // "prefix \"/\"", "path \"/healthz\"", …
	idx  int
}

// pickRoute checks the routes of vh in order, as Envoy does, against the
// method and :path. It returns the first route that matches, or an
// explanation of why it cannot decide (a route whose match also depends on
// headers, query parameters, runtime or an extension).
func pickRoute(vh *vhost, method, path string) (routePick, bool, string) {
	if vh.matcher {
		return routePick{}, false, fmt.Sprintf("virtual host %q selects routes with a matcher tree, which explain does not evaluate", vh.name)
	}
	noQuery := path
	if i := strings.IndexAny(noQuery, "?#"); i >= 0 {
		noQuery = noQuery[:i]
	}
	for i, r := range vh.routes {
		m := mapGet(r, "match")
		name := scalar(mapGet(r, "name"))
		label := fmt.Sprintf("routes[%d]", i)
		if name != "" {
			label = strconv.Quote(name)
		}
		fold := mapGet(m, "case_sensitive") != nil && !yamlTrue(mapGet(m, "case_sensitive"))
		eq := func(a, b string) bool {
			if fold {
				return strings.EqualFold(a, b)
			}
			return a == b
		}
		hasPrefix := func(s, p string) bool { return len(s) >= len(p) && eq(s[:len(p)], p) }
		var ok bool
		var how string
		switch {
		case mapGet(m, "prefix") != nil:
			p := scalar(mapGet(m, "prefix"))
			ok, how = hasPrefix(path, p), "prefix "+strconv.Quote(p)
		case mapGet(m, "path") != nil:
			p := scalar(mapGet(m, "path"))
			ok, how = eq(noQuery, p), "path "+strconv.Quote(p)
		case mapGet(m, "path_separated_prefix") != nil:
			p := scalar(mapGet(m, "path_separated_prefix"))
			ok = eq(noQuery, p) || hasPrefix(noQuery, p+"/")
			how = "path_separated_prefix " + strconv.Quote(p)
		case mapGet(m, "safe_regex") != nil:
			expr := scalar(mapGet(mapGet(m, "safe_regex"), "regex"))
			re, err := regexp.Compile(`^(?:` + expr + `)$`)
			if err != nil {
				return routePick{}, false, fmt.Sprintf("route %s: safe_regex %q: %v", label, expr, err)
			}
			ok, how = re.MatchString(noQuery), "safe_regex "+strconv.Quote(expr)
		case mapGet(m, "connect_matcher") != nil:
			ok, how = method == "CONNECT", "connect_matcher"
		case mapGet(m, "path_match_policy") != nil:
			return routePick{}, false, fmt.Sprintf("route %s matches the path with a path_match_policy extension, which explain does not evaluate", label)
		default:
			return routePick{}, false, fmt.Sprintf("route %s has no path match explain understands", label)
		}
		if !ok {
			continue
		}
		// The path matches: any other condition decides, and explain does
		// not evaluate those.
		for _, extra := range []string{"headers", "query_parameters", "runtime_fraction", "grpc", "tls_context", "dynamic_metadata", "cookies", "filter_state"} {
			if v := mapGet(m, extra); v != nil && !(v.Kind == yaml.SequenceNode && len(v.Content) == 0) {
				return routePick{}, false, fmt.Sprintf("route %s matches the path (%s) but also matches on %s, which explain does not evaluate", label, how, extra)
			}
		}
		return routePick{node: r, name: name, how: how, idx: i}, true, ""
	}
	return routePick{}, true, ""
}

// filterDisabled reports whether typed_per_filter_config of the route, its
// virtual host or the route configuration (most specific first) disables
// the HTTP filter named filter, and where.
func filterDisabled(t *routeTable, vh *vhost, r *yaml.Node, filter string) (bool, string) {
	for _, lvl := range []struct {
		n    *yaml.Node
		what string
	}{{r, "route"}, {vh.node, "virtual host"}, {t.node, "route configuration"}} {
		if lvl.n == nil {
			continue
		}
		fc := mapGet(mapGet(lvl.n, "typed_per_filter_config"), filter)
		if fc == nil {
			continue
		}
		if typeIs(fc, "envoy.config.route.v3.FilterConfig") {
			return yamlTrue(mapGet(fc, "disabled")), lvl.what
		}
		return false, lvl.what
	}
	return false, ""
}
