package config

import (
	"fmt"
	"strings"

	"github.com/audguard/audguard/canonical"
)

var resourceMembers = []string{
	"resource", "routes", "virtual_hosts", "authorities", "default", "issuers",
	"required_scopes", "scopes_supported", "authorization_servers",
	"audience_match", "exclusive_audience", "public_paths", "forward_token", "claim_headers",
}

func (l *loader) resources(n *node) error {
	if n.kind != kindArray {
		return wrongType(n, "an array of resources")
	}
	if len(n.elems) == 0 {
		return refuse(n.path, "no resource is configured", "add at least one protected resource")
	}
	for i, e := range n.elems {
		r, err := l.resource(e, i)
		if err != nil {
			return err
		}
		l.p.Resources = append(l.p.Resources, r)
	}
	return nil
}

// resource reads one resources[] entry (contract §2, §4).
func (l *loader) resource(n *node, index int) (*Resource, error) {
	if err := object(n, resourceMembers...); err != nil {
		return nil, err
	}
	r := &Resource{Index: index, ExclusiveAudience: true}
	if err := l.resourceURI(n, r); err != nil {
		return nil, err
	}
	if err := l.mapping(n, r); err != nil {
		return nil, err
	}
	if err := l.acceptedIssuers(n, r); err != nil {
		return nil, err
	}
	if err := l.scopes(n, r); err != nil {
		return nil, err
	}
	if err := l.audience(n, r); err != nil {
		return nil, err
	}
	var err error
	r.PublicPaths = []PublicPath{}
	if v := n.member("public_paths"); v != nil {
		if r.PublicPaths, err = readPublicPaths(v, r.Parsed.Path); err != nil {
			return nil, err
		}
	}
	if v := n.member("forward_token"); v != nil {
		if r.ForwardToken, err = readBool(v); err != nil {
			return nil, err
		}
	}
	r.ClaimHeaders = []ClaimHeader{}
	if v := n.member("claim_headers"); v != nil {
		if r.ClaimHeaders, err = readClaimHeaders(v); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// resourceURI reads resources[].resource: it must already be the canonical
// resource URI (contract §4; RFC 8707 §2), without a query or any "%".
func (l *loader) resourceURI(n *node, r *Resource) error {
	v, err := required(n, "resource")
	if err != nil {
		return err
	}
	s, err := readNonEmptyString(v)
	if err != nil {
		return err
	}
	if strings.Contains(s, "%") {
		return refuse(v.path, `contains "%": percent-encoded resource URIs are refused`, "write the resource URI without percent-encoding")
	}
	if strings.Contains(s, "?") {
		return refuse(v.path, "has a query: a resource URI carries none (RFC 8707 §2)", "remove the query")
	}
	u, err := canonical.Parse(s)
	if err != nil {
		return refuseCause(v.path, "is not a valid resource URI: "+strings.TrimPrefix(err.Error(), "canonical: "),
			"use an absolute https URI without userinfo, query or fragment", err)
	}
	if c := u.String(); c != s {
		return refuse(v.path, "is not in canonical form (contract §4)", fmt.Sprintf("use %q", c))
	}
	for _, w := range canonical.Warnings(u) {
		l.warn(v.path, w)
	}
	r.URI = s
	r.Parsed = u
	r.MetadataPath = u.MetadataPath()
	r.MetadataURL = u.MetadataURL()
	return nil
}

// mapping reads routes, virtual_hosts, authorities and default (contract §3).
func (l *loader) mapping(n *node, r *Resource) error {
	var err error
	r.Routes, r.VirtualHosts, r.Authorities = []string{}, []string{}, []string{}
	if v := n.member("routes"); v != nil {
		var elems []*node
		if r.Routes, elems, err = readStrings(v); err != nil {
			return err
		}
		for i, name := range r.Routes {
			if name == "default" {
				l.warn(elems[i].path, `route name "default" is a catch-all name in several control planes (Istio); it may take requests meant for other services`)
			}
		}
	}
	if v := n.member("virtual_hosts"); v != nil {
		var elems []*node
		if r.VirtualHosts, elems, err = readStrings(v); err != nil {
			return err
		}
		for i, name := range r.VirtualHosts {
			if strings.Contains(name, "*") {
				l.warn(elems[i].path, `virtual host name contains "*": it is compared literally, and such a virtual host usually serves many hosts`)
			}
		}
	}
	if v := n.member("authorities"); v != nil {
		raw, elems, err := readStrings(v)
		if err != nil {
			return err
		}
		own, _ := canonical.NormalizeAuthority(r.Parsed.Authority())
		for i, a := range raw {
			norm, ok := canonical.NormalizeAuthority(a)
			if !ok {
				return refuse(elems[i].path, fmt.Sprintf("%q is not a valid host[:port] authority", a), `write a host name, optionally with ":port"`)
			}
			for j, prev := range r.Authorities {
				if prev == norm {
					return refuse(elems[i].path, fmt.Sprintf("authority %q repeats %s after normalisation", norm, elems[j].path), "remove the repeated entry")
				}
			}
			if norm != own {
				l.warn(elems[i].path, fmt.Sprintf("authority %q differs from the resource URI's authority %q: the metadata document served on it names the resource URI, not that authority's URL", norm, own))
			}
			r.Authorities = append(r.Authorities, norm)
		}
	}
	if v := n.member("default"); v != nil {
		if r.Default, err = readBool(v); err != nil {
			return err
		}
	}
	if len(r.Routes) == 0 && len(r.VirtualHosts) == 0 && len(r.Authorities) == 0 && !r.Default {
		return refuse(n.path, "has none of routes, virtual_hosts, authorities, default: no request can reach it",
			`add "routes", "virtual_hosts" or "authorities", or set "default": true`)
	}
	return nil
}

// acceptedIssuers reads resources[].issuers; it defaults to the only issuer
// and is required when more than one issuer is configured (contract §2).
func (l *loader) acceptedIssuers(n *node, r *Resource) error {
	v := n.member("issuers")
	if v == nil {
		if len(l.p.Issuers) != 1 {
			return refuse(n.path, `missing required member "issuers" (more than one issuer is configured)`,
				`name the accepted issuers, e.g. "issuers": ["`+l.p.Issuers[0].Name+`"]`)
		}
		r.Issuers = []*Issuer{l.p.Issuers[0]}
		return nil
	}
	names, elems, err := readStrings(v)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return refuse(v.path, "must name at least one issuer", "list the accepted issuer names")
	}
	for i, name := range names {
		is, ok := l.byName[name]
		if !ok {
			return refuse(elems[i].path, fmt.Sprintf("no issuer is named %q", name), "use the name of an entry of issuers[]")
		}
		r.Issuers = append(r.Issuers, is)
	}
	return nil
}

// scopes reads required_scopes, scopes_supported and authorization_servers.
func (l *loader) scopes(n *node, r *Resource) error {
	var err error
	r.RequiredScopes = []string{}
	if v := n.member("required_scopes"); v != nil {
		if r.RequiredScopes, err = readScopes(v); err != nil {
			return err
		}
	}
	if v := n.member("scopes_supported"); v != nil {
		if r.ScopesSupported, err = readScopes(v); err != nil {
			return err
		}
		for i, s := range r.ScopesSupported {
			if s == "offline_access" {
				l.warn(v.elems[i].path, `"offline_access" is published: clients will ask for refresh tokens`)
			}
		}
	} else {
		r.ScopesSupported = append([]string{}, r.RequiredScopes...)
		for i, s := range r.ScopesSupported {
			if s == "offline_access" {
				l.warn(indexPath(n.path+".required_scopes", i), `"offline_access" is published (scopes_supported defaults to required_scopes): clients will ask for refresh tokens`)
			}
		}
	}
	if v := n.member("authorization_servers"); v != nil {
		if r.AuthorizationServers, _, err = readStrings(v); err != nil {
			return err
		}
		if len(r.AuthorizationServers) == 0 {
			return refuse(v.path, "must not be empty", `list the authorization servers, or omit "authorization_servers" for the accepted issuers`)
		}
	} else {
		r.AuthorizationServers = make([]string, len(r.Issuers))
		for i, is := range r.Issuers {
			r.AuthorizationServers[i] = is.Issuer
		}
	}
	return nil
}

// audience reads audience_match and exclusive_audience (contract §4, §5.5 step 9).
func (l *loader) audience(n *node, r *Resource) error {
	r.AudienceMatch = canonical.ModeExact
	if v := n.member("audience_match"); v != nil {
		w, err := readWord(v, "exact", "canonical")
		if err != nil {
			return err
		}
		m, ok := canonical.ParseMode(w)
		if !ok {
			return refuse(v.path, fmt.Sprintf("%q is not an audience match mode", w), `use "exact" or "canonical"`)
		}
		r.AudienceMatch = m
		if m == canonical.ModeCanonical {
			l.warn(v.path, `"canonical" also accepts aud values with the default port or an empty path; "exact" is stricter`)
		}
	}
	r.Audience = canonical.NewAudienceMatcher(r.Parsed, r.AudienceMatch)
	if v := n.member("exclusive_audience"); v != nil {
		var err error
		if r.ExclusiveAudience, err = readBool(v); err != nil {
			return err
		}
		if !r.ExclusiveAudience {
			l.warn(v.path, "tokens whose aud also names other services are accepted: such a token can be replayed between them")
		}
	}
	return nil
}
