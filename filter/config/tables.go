package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/audguard/audguard/canonical"
)

// name identifies a resource in messages: `resources[0] ("https://h/mcp")`.
func (r *Resource) name() string {
	return fmt.Sprintf("resources[%d] (%q)", r.Index, r.URI)
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
	byHost := p.AuthorityFrom != AuthorityExact
	if byHost {
		p.ByHost = make(map[string]*Resource, n)
		p.MetadataByHost = make(map[MetadataAt]*Resource, n)
	}
	uris := make(map[string]*Resource, n)
	names := make(map[string]*Resource, n)
	strip := make(map[string]bool)
	var hosts []string

	for _, r := range p.Resources {
		if prev, ok := uris[r.URI]; ok {
			return refuse(r.path("resource"), fmt.Sprintf("resource %q is already configured by %s", r.URI, prev.name()),
				"configure each resource once; list all its routes, virtual hosts and authorities there")
		}
		uris[r.URI] = r
		prev, taken := names[r.Name]
		if taken && r.nameDerived {
			r.Name = uniqueName(r.Name, r.Index)
			prev, taken = names[r.Name]
		}
		if taken {
			return refuse(r.path("name"), fmt.Sprintf("name %q is already used by %s", r.Name, prev.name()),
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
		if err := claim(p.ByRoute, r.Routes, r, "routes", "route"); err != nil {
			return err
		}
		if err := claim(p.ByVirtualHost, r.VirtualHosts, r, "virtual_hosts", "virtual host"); err != nil {
			return err
		}
		if err := claim(p.ByAuthority, r.Authorities, r, "authorities", "authority"); err != nil {
			return err
		}
		if !r.ownOK {
			return refuse(r.path("resource"), "the resource URI's authority cannot be normalised", "")
		}
		if err := metadataEntries(p.Metadata, r, r.own, r.Authorities); err != nil {
			return err
		}
		if byHost {
			// Each authority's host form once, for both host-keyed tables;
			// hosts is reused from resource to resource.
			ownHost := hostOnly(r.own)
			hosts = hosts[:0]
			for _, a := range r.Authorities {
				h := ownHost
				if a != r.own {
					h = hostOnly(a)
				}
				hosts = append(hosts, h)
			}
			if err := claimHosts(p.ByHost, r, hosts, p.AuthorityFrom); err != nil {
				return err
			}
			if err := metadataEntries(p.MetadataByHost, r, ownHost, hosts); err != nil {
				return hostConflict(err, p.AuthorityFrom)
			}
		}
		for _, ch := range r.ClaimHeaders {
			strip[stripKey(ch.Header)] = true
		}
	}

	p.StripHeaders = make([]string, 0, len(strip))
	for h := range strip {
		p.StripHeaders = append(p.StripHeaders, h)
	}
	sort.Strings(p.StripHeaders)
	return nil
}

// path is the JSON path of member key of r's entry, for a refusal.
func (r *Resource) path(key string) string {
	return "resources[" + strconv.Itoa(r.Index) + "]." + key
}

// claim enters every name of r into m, refusing a name another resource
// already claimed (docs/configuration.md: "claimed by two resources"). key is the
// member the names come from.
func claim(m map[string]*Resource, names []string, r *Resource, key, what string) error {
	for i, n := range names {
		if prev, ok := m[n]; ok {
			return refuse(indexPath(r.path(key), i), fmt.Sprintf("%s %q is claimed by %s and %s", what, n, prev.name(), r.name()),
				fmt.Sprintf("give each %s to one resource", what))
		}
		m[n] = r
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

// metadataEntries enters r's metadata endpoint on the resource URI's own
// authority and on each of its authorities, refusing two resources whose
// metadata paths meet on one authority (equal, or differing only by a
// trailing "/"). first is the own authority and forms[i] authorities[i],
// both in the table's form (normalised authority, or host alone).
func metadataEntries(md map[MetadataAt]*Resource, r *Resource, first string, forms []string) error {
	key := MetadataKey(r.MetadataPath)
	// i = -1 is the resource URI's own authority, then authorities[i].
	for i := -1; i < len(forms); i++ {
		a := first
		if i >= 0 {
			if a = forms[i]; a == first {
				continue // the resource's own authority listed again: entered already
			}
		}
		at := MetadataAt{a, key}
		prev, ok := md[at]
		if ok && prev == r {
			continue // the resource's own authority listed again in authorities
		}
		if ok {
			path := r.path("resource")
			if i >= 0 {
				path = indexPath(r.path("authorities"), i)
			}
			return refuse(path, fmt.Sprintf("the metadata path %q on authority %q is already served for %s", r.MetadataPath, a, prev.name()),
				"give the two resources different paths or different authorities")
		}
		md[at] = r
	}
	return nil
}

// hostOnly is the authority_from "host" form of a normalised authority.
func hostOnly(a string) string {
	h, _ := canonical.HostOnly(a)
	return h
}

// claimHosts enters r's authorities into the host-keyed table used under
// authority_from "host" (and "auto" on a host without xds.* properties),
// where a port cannot tell two resources apart.
// hosts[i] is hostOnly(r.Authorities[i]).
func claimHosts(m map[string]*Resource, r *Resource, hosts []string, from AuthorityFrom) error {
	for i, h := range hosts {
		if prev, ok := m[h]; ok && prev != r {
			return hostConflict(refuse(indexPath(r.path("authorities"), i),
				fmt.Sprintf("host %q is claimed by %s and %s once the port is removed", h, prev.name(), r.name()), ""), from)
		}
		m[h] = r
	}
	return nil
}

// hostConflict adds the fix to a refusal that only exists because hosts are
// compared without their ports.
func hostConflict(err error, from AuthorityFrom) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	why := `under "authority_from": "host" the port is not compared (nginx's $host has none)`
	if from == AuthorityAuto {
		why = `under "authority_from": "auto" a host without Envoy's xds properties (nginx, Kong) compares hosts without ports`
	}
	e.Fix = why + `; give the resources different host names, or on Envoy set "authority_from": "authority"`
	return e
}
