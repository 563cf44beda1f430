package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/audguard/audguard/canonical"
)

// name identifies a resource in messages: `resources[0] ("https://h/mcp")`.
func (r *Resource) name() string {
	return fmt.Sprintf("resources[%d] (%q)", r.Index, r.URI)
}

// tables builds the per-request lookup tables (contract §3, §5.1, §5.7) and
// refuses every name claimed by two resources.
func (l *loader) tables() error {
	p := l.p
	p.ByRoute = make(map[string]*Resource)
	p.ByVirtualHost = make(map[string]*Resource)
	p.ByAuthority = make(map[string]*Resource)
	p.Metadata = make(map[string]map[string]*Resource)
	byHost := p.AuthorityFrom != AuthorityExact
	if byHost {
		p.ByHost = make(map[string]*Resource)
		p.MetadataByHost = make(map[string]map[string]*Resource)
	}
	uris := make(map[string]*Resource, len(p.Resources))
	names := make(map[string]*Resource, len(p.Resources))
	strip := make(map[string]bool)

	for _, r := range p.Resources {
		rp := fmt.Sprintf("resources[%d]", r.Index)
		if prev, ok := uris[r.URI]; ok {
			return refuse(rp+".resource", fmt.Sprintf("resource %q is already configured by %s", r.URI, prev.name()),
				"configure each resource once; list all its routes, virtual hosts and authorities there")
		}
		uris[r.URI] = r
		if _, taken := names[r.Name]; taken && r.nameDerived {
			r.Name = uniqueName(r.Name, r.Index)
		}
		if prev, ok := names[r.Name]; ok {
			return refuse(rp+".name", fmt.Sprintf("name %q is already used by %s", r.Name, prev.name()),
				`give each resource its own "name"`)
		}
		names[r.Name] = r

		if r.Default {
			if p.Default != nil {
				return refuse(rp+".default", "more than one resource is the default; "+p.Default.name()+" already is",
					`set "default": true on one resource only`)
			}
			p.Default = r
		}
		if err := claim(p.ByRoute, r.Routes, r, rp+".routes", "route"); err != nil {
			return err
		}
		if err := claim(p.ByVirtualHost, r.VirtualHosts, r, rp+".virtual_hosts", "virtual host"); err != nil {
			return err
		}
		if err := claim(p.ByAuthority, r.Authorities, r, rp+".authorities", "authority"); err != nil {
			return err
		}
		if err := metadataEntries(p.Metadata, r, rp, identity); err != nil {
			return err
		}
		if byHost {
			if err := claimHosts(p.ByHost, r, rp, p.AuthorityFrom); err != nil {
				return err
			}
			if err := metadataEntries(p.MetadataByHost, r, rp, hostOnly); err != nil {
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

// claim enters every name of r into m, refusing a name another resource
// already claimed (contract §2: "claimed by two resources").
func claim(m map[string]*Resource, names []string, r *Resource, path, what string) error {
	for i, n := range names {
		if prev, ok := m[n]; ok {
			return refuse(indexPath(path, i), fmt.Sprintf("%s %q is claimed by %s and %s", what, n, prev.name(), r.name()),
				fmt.Sprintf("give each %s to one resource", what))
		}
		m[n] = r
	}
	return nil
}

// MetadataKey is the key a resource's metadata document is served under in
// Plugin.Metadata[authority] (RFC 9728 §3.1, contract §5.1): its metadata
// path with one trailing "/" removed. A request path, with one terminating
// "/" removed, is looked up with the same key.
func MetadataKey(metadataPath string) string {
	return strings.TrimSuffix(metadataPath, "/")
}

// metadataEntries enters r's metadata endpoint on the resource URI's own
// authority and on each of its authorities, refusing two resources whose
// metadata paths meet on one authority (equal, or differing only by a
// trailing "/").
func metadataEntries(md map[string]map[string]*Resource, r *Resource, rp string, form func(string) string) error {
	key := MetadataKey(r.MetadataPath)
	auths := make([]string, 0, 1+len(r.Authorities))
	paths := make([]string, 0, 1+len(r.Authorities))
	own, ok := canonical.NormalizeAuthority(r.Parsed.Authority())
	if !ok {
		return refuse(rp+".resource", "the resource URI's authority cannot be normalised", "")
	}
	auths = append(auths, form(own))
	paths = append(paths, rp+".resource")
	for i, a := range r.Authorities {
		auths = append(auths, form(a))
		paths = append(paths, indexPath(rp+".authorities", i))
	}
	for i, a := range auths {
		byPath := md[a]
		if byPath == nil {
			byPath = make(map[string]*Resource)
			md[a] = byPath
		}
		prev, ok := byPath[key]
		if ok && prev == r {
			continue // the resource's own authority listed again in authorities
		}
		if ok {
			return refuse(paths[i], fmt.Sprintf("the metadata path %q on authority %q is already served for %s", r.MetadataPath, a, prev.name()),
				"give the two resources different paths or different authorities")
		}
		byPath[key] = r
	}
	return nil
}

func identity(a string) string { return a }

// hostOnly is the authority_from "host" form of a normalised authority.
func hostOnly(a string) string {
	h, _ := canonical.HostOnly(a)
	return h
}

// claimHosts enters r's authorities into the host-keyed table used under
// authority_from "host" (and "auto" on a host without xds.* properties),
// where a port cannot tell two resources apart.
func claimHosts(m map[string]*Resource, r *Resource, rp string, from AuthorityFrom) error {
	for i, a := range r.Authorities {
		h := hostOnly(a)
		if prev, ok := m[h]; ok && prev != r {
			return hostConflict(refuse(indexPath(rp+".authorities", i),
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
