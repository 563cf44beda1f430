package config

import (
	"fmt"
	"strings"

	"github.com/audguard/audguard/canonical"
)

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

// resource reads one resources[] entry through resourceFields (contract
// §2, §3, §4).
func (l *loader) resource(n *node, index int) (*Resource, error) {
	r := &Resource{Index: index}
	if err := readFields(l, n, resourceFields, r); err != nil {
		return nil, err
	}
	return r, nil
}

// resourceURI reads resources[].resource: it must already be the canonical
// resource URI (contract §4; RFC 8707 §2), without a query or any "%".
func readResourceURI(l *loader, n, v *node, r *Resource) error {
	if v == nil {
		_, err := required(n, "resource")
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

// acceptedIssuers reads resources[].issuers; it defaults to the only issuer
// and is required when more than one issuer is configured (contract §2).
func readAcceptedIssuers(l *loader, n, v *node, r *Resource) error {
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

func readRequiredScopes(_ *loader, _, v *node, r *Resource) error {
	var err error
	r.RequiredScopes = []string{}
	if v != nil {
		r.RequiredScopes, err = readScopes(v)
	}
	return err
}

// readScopesSupported reads scopes_supported; it defaults to required_scopes.
func readScopesSupported(l *loader, n, v *node, r *Resource) error {
	var err error
	if v != nil {
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
	return nil
}

// readAuthorizationServers reads authorization_servers; it defaults to the
// accepted issuers' iss values.
func readAuthorizationServers(_ *loader, _, v *node, r *Resource) error {
	var err error
	if v != nil {
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

// readAudienceMatch reads audience_match and builds the audience matcher
// (contract §4, §5.5 step 9).
func readAudienceMatch(l *loader, _, v *node, r *Resource) error {
	r.AudienceMatch = canonical.ModeExact
	if v != nil {
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
	return nil
}

func containsStar(s string) bool { return strings.Contains(s, "*") }
