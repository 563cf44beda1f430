package config

import (
	"slices"
	"strings"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/internal/errs"
	"github.com/audguard/audguard/internal/strsort"
)

// name identifies a resource in messages: `resources[0] ("https://h/mcp")`.
func (r *Resource) name() string {
	return "resources[" + itoa(r.Index) + "] (" + quote(r.URI) + ")"
}

// tables builds the per-request lookup tables (docs/request-flow.md#6-resource, docs/request-flow.md#4-metadata-endpoint, docs/request-flow.md#13-upstream-headers) and
// refuses every name claimed by two resources.
func (l *loader) tables() error {
	p := l.p
	n := len(p.Resources)
	p.ByRoute = make(map[string]*Resource)
	p.ByVirtualHost = make(map[string]*Resource)
	p.ByAuthority = make(map[string]*Resource, n)
	p.Metadata = make(map[MetadataAt]*Resource, n)
	names := make(map[string]*Resource, n)
	strip := make(map[string]bool)
	byHost := p.AuthorityFrom != AuthorityExact
	ported := false // some authority has a port: the host-keyed tables differ

	for _, r := range p.Resources {
		if err := enterResource(p, r, names, strip); err != nil {
			return repeated(p, r, err)
		}
		if byHost && !ported {
			ported = !portless(r.own) || slices.ContainsFunc(r.Authorities, func(a string) bool { return !portless(a) })
		}
	}
	switch {
	case !byHost:
	case !ported:
		// Without a port anywhere an authority is its own host form: the
		// host-keyed tables would hold exactly the entries of the
		// authority-keyed ones, and their refusals are the same.
		p.ByHost, p.MetadataByHost = p.ByAuthority, p.Metadata
	default:
		if err := l.hostTables(); err != nil {
			return err
		}
	}

	p.StripHeaders = make([]string, 0, len(strip))
	for h := range strip {
		p.StripHeaders = append(p.StripHeaders, h)
	}
	strsort.Sort(p.StripHeaders)
	return nil
}

// enterResource enters r in the authority-keyed tables, names and strip,
// refusing what another resource already claimed.
func enterResource(p *Plugin, r *Resource, names map[string]*Resource, strip map[string]bool) error {
	prev, taken := names[r.Name]
	if taken && r.nameDerived {
		r.Name = uniqueName(r.Name, r.Index)
		prev, taken = names[r.Name]
	}
	if taken {
		return refuse(r.path("name"), "name "+quote(r.Name)+" is already used by "+prev.name(),
			`give each resource its own "name"`)
	}
	names[r.Name] = r

	if r.Default {
		if p.Default != nil {
			return refuse(r.path("default"), "more than one resource is the default; "+p.Default.name()+" already is",
				`set "default": true on one resource only`)
		}
		p.Default = r
	}
	if err := claim(p, p.ByRoute, r, "routes", "route", routesOf); err != nil {
		return err
	}
	if err := claim(p, p.ByVirtualHost, r, "virtual_hosts", "virtual host", virtualHostsOf); err != nil {
		return err
	}
	if err := claim(p, p.ByAuthority, r, "authorities", "authority", authoritiesOf); err != nil {
		return err
	}
	if !r.ownOK {
		return refuse(r.path("resource"), "the resource URI's authority cannot be normalised", "")
	}
	if err := metadataEntries(p, p.Metadata, r, r.own, r.Authorities, sameForm); err != nil {
		return err
	}
	for _, ch := range r.ClaimHeaders {
		strip[stripKey(ch.Header)] = true
	}
	return nil
}

// repeated returns the refusal of r that enterResource found, unless r
// repeats an earlier resource's URI: that refusal names the real mistake,
// and a repeated URI always meets one, at the latest when r's metadata
// endpoint (the same authority and path) meets the earlier resource's. So
// no table of URIs is needed to find repeats.
func repeated(p *Plugin, r *Resource, err error) error {
	prev := first(p.Resources[:r.Index], func(q *Resource) bool { return q.URI == r.URI })
	if prev == nil {
		return err
	}
	return refuse(r.path("resource"), "resource "+quote(r.URI)+" is already configured by "+prev.name(),
		"configure each resource once; list all its routes, virtual hosts and authorities there")
}

// path is the JSON path of member key of r's entry, for a refusal.
//
//go:noinline
func (r *Resource) path(key string) string {
	return "resources[" + itoa(r.Index) + "]." + key
}

// enter sets m[k] = r and reports whether k was new: one hash and probe
// where a lookup and then an assignment take two (a 10,000-resource start
// makes about 60,000 of them, at a microsecond each in the .wasm). On false
// the entry it replaced is gone; the refusal that follows finds the earlier
// resource again with first.
//
//go:noinline
func enter[K comparable](m map[K]*Resource, k K, r *Resource) bool {
	n := len(m)
	m[k] = r
	return len(m) != n
}

// first returns the first resource of rs that has, or nil. Refusals use it
// to name the resource an entry belonged to before enter replaced it.
func first(rs []*Resource, has func(*Resource) bool) *Resource {
	for _, q := range rs {
		if has(q) {
			return q
		}
	}
	return nil
}

// The lists claim enters.
func routesOf(r *Resource) []string       { return r.Routes }
func virtualHostsOf(r *Resource) []string { return r.VirtualHosts }
func authoritiesOf(r *Resource) []string  { return r.Authorities }

// claim enters every name of list(r) into m, refusing a name another
// resource already claimed (docs/configuration.md: "claimed by two resources"). key is
// the member the names come from.
func claim(p *Plugin, m map[string]*Resource, r *Resource, key, what string, list func(*Resource) []string) error {
	for i, n := range list(r) {
		if !enter(m, n, r) {
			prev := first(p.Resources, func(q *Resource) bool { return slices.Contains(list(q), n) })
			return refuse(indexPath(r.path(key), i), what+" "+quote(n)+" is claimed by "+prev.name()+" and "+r.name(),
				"give each "+what+" to one resource")
		}
	}
	return nil
}

// MetadataKey is the key a resource's metadata document is served under in
// Plugin.Metadata[authority] (RFC 9728 §3.1, docs/request-flow.md#4-metadata-endpoint): its metadata
// path with one trailing "/" removed. A request path, with one terminating
// "/" removed, is looked up with the same key.
func MetadataKey(metadataPath string) string {
	return strings.TrimSuffix(metadataPath, "/")
}

// sameForm is the authority-keyed tables' form of a normalised authority:
// the authority itself.
func sameForm(a string) string { return a }

// metadataEntries enters r's metadata endpoint on the resource URI's own
// authority and on each of its authorities, refusing two resources whose
// metadata paths meet on one authority (equal, or differing only by a
// trailing "/"). own is the own authority and forms[i] authorities[i],
// both in the table's form: form(a) of the normalised authority (a itself,
// or its host alone).
func metadataEntries(p *Plugin, md map[MetadataAt]*Resource, r *Resource, own string, forms []string, form func(string) string) error {
	key := MetadataKey(r.MetadataPath)
	// i = -1 is the resource URI's own authority, then authorities[i].
	for i := -1; i < len(forms); i++ {
		a := own
		if i >= 0 {
			if a = forms[i]; a == own || slices.Contains(forms[:i], a) {
				continue // entered already for r: its own authority, or an earlier one of the same form
			}
		}
		if enter(md, MetadataAt{a, key}, r) {
			continue
		}
		prev := first(p.Resources, func(q *Resource) bool {
			return q != r && MetadataKey(q.MetadataPath) == key &&
				(form(q.own) == a || slices.ContainsFunc(q.Authorities, func(b string) bool { return form(b) == a }))
		})
		path := r.path("resource")
		if i >= 0 {
			path = indexPath(r.path("authorities"), i)
		}
		return refuse(path, "the metadata path "+quote(r.MetadataPath)+" on authority "+quote(a)+" is already served for "+prev.name(),
			"give the two resources different paths or different authorities")
	}
	return nil
}

// portless reports whether the normalised authority a has no port, so that
// it is its own authority_from "host" form: hostOnly(a) == a.
func portless(a string) bool {
	i := strings.LastIndexByte(a, ':')
	return i < 0 || a[len(a)-1] == ']' // none, or inside an IPv6 literal
}

// hostOnly is the authority_from "host" form of a normalised authority.
//
//go:noinline
func hostOnly(a string) string {
	h, _ := canonical.HostOnly(a)
	return h
}

// hostTables builds the host-keyed tables used under authority_from "host"
// (and "auto" on a host without xds.* properties), where a port cannot
// tell two resources apart, once some authority has a port.
func (l *loader) hostTables() error {
	p := l.p
	p.ByHost = make(map[string]*Resource, len(p.Resources))
	p.MetadataByHost = make(map[MetadataAt]*Resource, len(p.Resources))
	var hosts []string // reused from resource to resource
	for _, r := range p.Resources {
		// Each authority's host form once, for both tables.
		ownHost := hostOnly(r.own)
		hosts = hosts[:0]
		for _, a := range r.Authorities {
			h := ownHost
			if a != r.own {
				h = hostOnly(a)
			}
			hosts = append(hosts, h)
		}
		if err := claimHosts(p, r, hosts); err != nil {
			return err
		}
		if err := metadataEntries(p, p.MetadataByHost, r, ownHost, hosts, hostOnly); err != nil {
			return hostConflict(err, p.AuthorityFrom)
		}
	}
	return nil
}

// claimHosts enters r's authorities into p.ByHost. hosts[i] is
// hostOnly(r.Authorities[i]); two of them may be one host (h:8443, h:9443).
func claimHosts(p *Plugin, r *Resource, hosts []string) error {
	for i, h := range hosts {
		if slices.Contains(hosts[:i], h) || enter(p.ByHost, h, r) {
			continue
		}
		prev := first(p.Resources, func(q *Resource) bool {
			return q != r && slices.ContainsFunc(q.Authorities, func(a string) bool { return hostOnly(a) == h })
		})
		return hostConflict(refuse(indexPath(r.path("authorities"), i),
			"host "+quote(h)+" is claimed by "+prev.name()+" and "+r.name()+" once the port is removed", ""), p.AuthorityFrom)
	}
	return nil
}

// hostConflict adds the fix to a refusal that only exists because hosts are
// compared without their ports.
func hostConflict(err error, from AuthorityFrom) error {
	e, ok := errs.As[*Error](err)
	if !ok {
		return err
	}
	why := `under "authority_from": "host" the port is not compared (nginx's $host has none)`
	if from == AuthorityAuto {
		why = `under "authority_from": "auto" a host without Envoy's xds properties (nginx, Kong) compares hosts without ports`
	}
	e.Fix = why + `; give the resources different host names, or on Envoy set "authority_from": "authority"`
	return e
}
