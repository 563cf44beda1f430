package config

import (
	"slices"
	"strings"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/filter/mcp"
)

func (l *loader) resources(n *node) error {
	if n.kind != kindArray {
		return wrongType(n, "an array of resources")
	}
	if len(n.elems) == 0 {
		return refuse(n.path(), "no resource is configured", "add at least one protected resource")
	}
	// One block for all resources, one slice of their pointers: a start
	// with 10,000 resources makes two allocations here, not 10,000.
	block := make([]Resource, len(n.elems))
	l.audiences = make([]canonical.AudienceMatcher, len(n.elems))
	l.p.Resources = make([]*Resource, 0, len(n.elems))
	for i, e := range n.elems {
		r := &block[i]
		r.Index = i
		if err := readFields(l, e, resourceFields, resourceNames, r); err != nil {
			return err
		}
		l.p.Resources = append(l.p.Resources, r)
	}
	return nil
}

// resourceURI reads resources[].resource: it must already be the canonical
// resource URI (docs/configuration.md#canonical-resource-uri; RFC 8707 §2), without a query or any "%".
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
		return refuse(v.path(), `contains "%": percent-encoded resource URIs are refused`, "write the resource URI without percent-encoding")
	}
	if strings.Contains(s, "?") {
		return refuse(v.path(), "has a query: a resource URI carries none (RFC 8707 §2)", "remove the query")
	}
	u, err := canonical.Parse(s)
	if err != nil {
		return refuseCause(v.path(), "is not a valid resource URI: "+strings.TrimPrefix(err.Error(), "canonical: "),
			"use an absolute https URI without userinfo, query or fragment", err)
	}
	auth := u.Authority()
	if !isCanonical(s, u.Scheme, auth, u.Path) {
		return refuse(v.path(), "is not in canonical form (docs/configuration.md#canonical-resource-uri)", "use "+quote(u.String()))
	}
	for _, w := range canonical.Warnings(u) {
		l.warn(v.path(), w)
	}
	r.URI = s
	r.Parsed = u
	// A parsed URI's authority is already normal unless its port is the
	// other scheme's default (http://h:443): canonical's FuzzParse checks
	// NormalizeAuthority(u.Authority()) == u.Authority() for every other port.
	if u.Port == "443" || u.Port == "80" {
		r.own, r.ownOK = canonical.NormalizeAuthority(auth)
	} else {
		r.own, r.ownOK = auth, true
	}
	// u.MetadataURL(), with u.MetadataPath() its tail: one string, not three.
	r.MetadataURL = l.text.Join(u.Scheme, "://", auth, canonical.MetadataPrefix, u.Path)
	r.MetadataPath = r.MetadataURL[len(u.Scheme)+len("://")+len(auth):]
	return nil
}

// isCanonical reports whether s is scheme "://" authority path, that is
// u.String() for the URI s parsed to, without building that string.
func isCanonical(s, scheme, authority, path string) bool {
	return len(s) == len(scheme)+len("://")+len(authority)+len(path) &&
		strings.HasPrefix(s, scheme) && strings.HasPrefix(s[len(scheme):], "://") &&
		strings.HasPrefix(s[len(scheme)+3:], authority) && strings.HasSuffix(s, path)
}

// acceptedIssuers reads resources[].issuers; it defaults to the only issuer
// and is required when more than one issuer is configured (docs/configuration.md).
func readAcceptedIssuers(l *loader, n, v *node, r *Resource) error {
	if v == nil {
		if len(l.p.Issuers) != 1 {
			return refuse(n.path(), `missing required member "issuers" (more than one issuer is configured)`,
				`name the accepted issuers, e.g. "issuers": ["`+l.p.Issuers[0].Name+`"]`)
		}
		r.Issuers = l.oneIssuer(l.p.Issuers[0])
		return nil
	}
	if v.kind == kindArray && len(v.elems) == 1 && v.elems[0].kind == kindString {
		if is, ok := l.issuerNamed(v.elems[0].str); ok {
			r.Issuers = l.oneIssuer(is)
			return nil
		}
	}
	names, elems, err := readStrings(v)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return refuse(v.path(), "must name at least one issuer", "list the accepted issuer names")
	}
	for i, name := range names {
		is, ok := l.issuerNamed(name)
		if !ok {
			return refuse(elems[i].path(), "no issuer is named "+quote(name), "use the name of an entry of issuers[]")
		}
		r.Issuers = append(r.Issuers, is)
	}
	return nil
}

// readRequiredScopes reads required_scopes. offline_access is refused: it
// asks for a refresh token and is never an access requirement (MCP
// 2026-07-28 authorization; docs/configuration.md).
func readRequiredScopes(_ *loader, _, v *node, r *Resource) error {
	r.RequiredScopes = []string{}
	if v == nil {
		return nil
	}
	var err error
	if r.RequiredScopes, err = readScopes(v); err != nil {
		return err
	}
	for i, s := range r.RequiredScopes {
		if s == mcp.OfflineAccess {
			return refuse(v.elems[i].path(), `"offline_access" requests a refresh token; it is never required for access`,
				`remove it (clients ask for it themselves when they want a refresh token)`)
		}
	}
	return nil
}

// readScopesSupported reads scopes_supported, published in the metadata
// document; it defaults to required_scopes ∪ every operation's scopes.
// offline_access is kept here but left out of the metadata document, with a
// warning: the MCP authorization specification keeps it out of what a
// resource advertises.
func readScopesSupported(l *loader, _, v *node, r *Resource) error {
	if v == nil {
		r.ScopesSupported = []string{}
		for _, list := range append([][]string{r.RequiredScopes}, opScopes(r.Operations)...) {
			for _, s := range list {
				if !slices.Contains(r.ScopesSupported, s) {
					r.ScopesSupported = append(r.ScopesSupported, s)
				}
			}
		}
		return nil
	}
	var err error
	if r.ScopesSupported, err = readScopes(v); err != nil {
		return err
	}
	for i, s := range r.ScopesSupported {
		if s == mcp.OfflineAccess {
			l.warn(v.elems[i].path(), `"offline_access" is not published (it requests a refresh token; MCP clients ask for it on their own)`)
		}
	}
	return nil
}

func opScopes(ops []mcp.Operation) [][]string {
	out := make([][]string, len(ops))
	for i, op := range ops {
		out[i] = op.Scopes
	}
	return out
}

// readAuthorizationServers reads authorization_servers; it defaults to the
// accepted issuers' iss values.
func readAuthorizationServers(l *loader, _, v *node, r *Resource) error {
	var err error
	if v != nil {
		if r.AuthorizationServers, _, err = readStrings(v); err != nil {
			return err
		}
		if len(r.AuthorizationServers) == 0 {
			return refuse(v.path(), "must not be empty", `list the authorization servers, or omit "authorization_servers" for the accepted issuers`)
		}
	} else if len(r.Issuers) == 1 {
		r.AuthorizationServers = l.oneIssuerServer(r.Issuers[0])
	} else {
		r.AuthorizationServers = make([]string, len(r.Issuers))
		for i, is := range r.Issuers {
			r.AuthorizationServers[i] = is.Issuer
		}
	}
	return nil
}

// issuerNamed is l.byName[name]: with a few issuers, a search of the list
// (names are unique, issuers refuses a repeated one) instead of hashing the
// name, once per resource.
//
//go:noinline
func (l *loader) issuerNamed(name string) (*Issuer, bool) {
	if len(l.p.Issuers) > 8 {
		is, ok := l.byName[name]
		return is, ok
	}
	for _, is := range l.p.Issuers {
		if is.Name == name {
			return is, true
		}
	}
	return nil, false
}

// oneIssuer is the accepted-issuer list holding is alone, made once per
// issuer and shared by the resources that accept only it (a Plugin is never
// modified after Load; the capacity is the length, so an append copies).
// The lists are indexed by Issuer.Index.
//
//go:noinline
func (l *loader) oneIssuer(is *Issuer) []*Issuer {
	if l.single == nil {
		l.single = make([][]*Issuer, len(l.p.Issuers))
	}
	list := l.single[is.Index]
	if list == nil {
		list = []*Issuer{is}
		l.single[is.Index] = list
	}
	return list[:1:1]
}

// oneIssuerServer is the authorization_servers default for the resources
// that accept is alone, shared the same way.
func (l *loader) oneIssuerServer(is *Issuer) []string {
	if l.servers == nil {
		l.servers = make([][]string, len(l.p.Issuers))
	}
	list := l.servers[is.Index]
	if list == nil {
		list = []string{is.Issuer}
		l.servers[is.Index] = list
	}
	return list[:1:1]
}

// readAudienceMatch reads audience_match and builds the audience matcher
// (docs/configuration.md#canonical-resource-uri, docs/request-flow.md#11-verification step 9).
func readAudienceMatch(l *loader, _, v *node, r *Resource) error {
	r.AudienceMatch = canonical.ModeExact
	if v != nil {
		w, err := readWord(v, "exact", "canonical")
		if err != nil {
			return err
		}
		m, ok := canonical.ParseMode(w)
		if !ok {
			return refuse(v.path(), quote(w)+" is not an audience match mode", `use "exact" or "canonical"`)
		}
		r.AudienceMatch = m
		if m == canonical.ModeCanonical {
			l.warn(v.path(), `"canonical" also accepts aud values with the default port or an empty path; "exact" is stricter`)
		}
	}
	// The matchers of all resources in one block (one allocation at start,
	// not one per resource); l.audiences is nil when r is not read by
	// l.resources.
	if r.Index < len(l.audiences) {
		l.audiences[r.Index] = canonical.MakeAudienceMatcher(r.Parsed, r.AudienceMatch)
		r.Audience = &l.audiences[r.Index]
	} else {
		r.Audience = canonical.NewAudienceMatcher(r.Parsed, r.AudienceMatch)
	}
	return nil
}

func containsStar(s string) bool { return strings.Contains(s, "*") }
