package config

import (
	"maps"
	"slices"
	"time"

	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/internal/jsonw"
)

// How Plugin.JSON writes the configuration back: one writer per member of
// the field tables (keys.go), with the same names in the same order
// (TestWriteTablesMatchFields). They are kept apart from the tables, in
// functions only JSON calls, so that a build that loads configurations and
// never writes one (the module) does not link them.

// fieldWrite is how Plugin.JSON writes the member name: write returns the
// normalised value; every default is written out.
type fieldWrite[T any] struct {
	name  string
	write func(src *T) any
}

// omit, returned by a field's write, leaves the member out of Plugin.JSON:
// for keys whose absence means something no value says.
type omitType struct{}

var omit any = omitType{}

// rawJSON is JSON this package wrote itself: written out as it is.
type rawJSON []byte

// JSON returns the configuration as normalised, indented JSON with every
// default written out (the effective algorithm allowlist included, private
// JWK members left out), members in table order; Load(p.JSON()) yields an
// equivalent Plugin.
func (p *Plugin) JSON() []byte {
	compact := writeFields(topWrites(), p)
	b := jsonw.Indent(make([]byte, 0, 2*len(compact)), compact, "", "  ")
	return append(b, '\n')
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeFields renders src as a compact JSON object with fields in table order.
func writeFields[T any](fields []fieldWrite[T], src *T) rawJSON {
	b := []byte{'{'}
	first := true
	for _, f := range fields {
		val := f.write(src)
		if val == omit {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = jsonw.String(b, f.name)
		b = append(b, ':')
		b = writeValue(b, val)
	}
	return append(b, '}')
}

// writeValue appends v, one of the types the write functions of the field
// tables return, as JSON the way json.Marshal writes it (map members sorted
// by name).
func writeValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case rawJSON: // our own compact JSON: no need to check it again
		return append(b, v...)
	case []rawJSON:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, e...)
		}
		return append(b, ']')
	case string:
		return jsonw.String(b, v)
	case []string:
		return jsonw.Strings(b, v)
	case bool:
		return jsonw.Bool(b, v)
	case int:
		return jsonw.Int(b, int64(v))
	case int64:
		return jsonw.Int(b, v)
	case map[string]string:
		return writeObject(b, v, jsonw.String)
	case map[string][]string:
		return writeObject(b, v, jsonw.Strings)
	}
	// Unreachable: the tables return only the types above. Fail closed: a
	// document Load refuses.
	return append(b, '!')
}

// topWrites writes the members of the plugin configuration object, in topFields order.
func topWrites() []fieldWrite[Plugin] {
	return []fieldWrite[Plugin]{
		{"mode", func(p *Plugin) any { return p.Mode.String() }},
		{"authority_from", func(p *Plugin) any { return p.AuthorityFrom.String() }},
		{"clock_skew_seconds", func(p *Plugin) any { return int64(p.ClockSkew / time.Second) }},
		{"max_token_bytes", func(p *Plugin) any { return p.MaxTokenBytes }},
		{"cache_size", func(p *Plugin) any { return p.CacheSize }},
		{"shared_cache_slots", func(p *Plugin) any { return p.SharedCacheSlots }},
		{"gc_percent", func(p *Plugin) any { return p.GCPercent }},
		{"access_log_properties", func(p *Plugin) any { return p.AccessLogProperties }},
		// A secret: never written out (a dump of the configuration must not carry it).
		{"dpop_nonce_secret", func(*Plugin) any { return omit }},
		{"issuers", func(p *Plugin) any {
			out := make([]rawJSON, len(p.Issuers))
			for i, is := range p.Issuers {
				out[i] = writeFields(issuerWrites(), is)
			}
			return out
		}},
		{"resources", func(p *Plugin) any {
			out := make([]rawJSON, len(p.Resources))
			for i, r := range p.Resources {
				out[i] = writeFields(resourceWrites(), r)
			}
			return out
		}},
	}
}

// issuerWrites writes the members of an issuers[] entry, in issuerFields order.
func issuerWrites() []fieldWrite[Issuer] {
	return []fieldWrite[Issuer]{
		{"name", func(is *Issuer) any { return is.Name }},
		{"issuer", func(is *Issuer) any { return is.Issuer }},
		{"algorithms", func(is *Issuer) any {
			list := is.Algorithms
			if is.Remote != nil {
				// Fetched keys are bound against the explicit list only.
				if list = is.ExplicitAlgorithms; list == nil {
					return omit
				}
			}
			algs := make([]string, len(list))
			for i, a := range list {
				algs[i] = string(a)
			}
			return algs
		}},
		{"token_type", func(is *Issuer) any { return is.TokenType.String() }},
		{"required_claims", func(is *Issuer) any { return nonNil(is.RequiredClaims) }},
		{"jwks_uri", func(is *Issuer) any {
			if is.Remote == nil {
				return omit
			}
			return is.Remote.URI
		}},
		{"jwks_cluster", func(is *Issuer) any {
			if is.Remote == nil {
				return omit
			}
			return is.Remote.Cluster
		}},
		{"jwks_refresh_seconds", remoteWrite(func(r *keys.Remote) int64 { return r.RefreshSeconds })},
		{"jwks_refetch_min_seconds", remoteWrite(func(r *keys.Remote) int64 { return r.RefetchMinSeconds })},
		{"jwks_timeout_ms", remoteWrite(func(r *keys.Remote) int64 { return r.TimeoutMS })},
		{"jwks_max_stale_seconds", remoteWrite(func(r *keys.Remote) int64 { return r.MaxStaleSeconds })},
		{"jwks", func(is *Issuer) any {
			if len(is.JWKS) == 0 {
				return omit
			}
			return rawJSON(is.JWKS)
		}},
		{"revoked_key_ids", func(is *Issuer) any { return nonNil(is.RevokedKeyIDs) }},
		{"revoked_token_ids", func(is *Issuer) any { return nonNil(is.RevokedTokenIDs) }},
		{"reject_issued_before", func(is *Issuer) any {
			if is.RejectIssuedBefore == 0 {
				return omit
			}
			return is.RejectIssuedBefore
		}},
	}
}

// resourceWrites writes the members of a resources[] entry, in resourceFields order.
func resourceWrites() []fieldWrite[Resource] {
	return []fieldWrite[Resource]{
		{"resource", func(r *Resource) any { return r.URI }},
		{"name", func(r *Resource) any { return r.Name }},
		{"routes", func(r *Resource) any { return nonNil(r.Routes) }},
		{"virtual_hosts", func(r *Resource) any { return nonNil(r.VirtualHosts) }},
		{"authorities", func(r *Resource) any { return nonNil(r.Authorities) }},
		{"default", func(r *Resource) any { return r.Default }},
		{"issuers", func(r *Resource) any {
			names := make([]string, len(r.Issuers))
			for i, is := range r.Issuers {
				names[i] = is.Name
			}
			return names
		}},
		{"required_scopes", func(r *Resource) any { return nonNil(r.RequiredScopes) }},
		{"scope_implies", func(r *Resource) any {
			if r.ScopeImplies == nil {
				return map[string][]string{}
			}
			return r.ScopeImplies
		}},
		{"operations", func(r *Resource) any {
			b := []byte{'['}
			for i, op := range r.Operations {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"method":`...)
				b = jsonw.String(b, op.Method)
				if op.Name != "" {
					b = append(b, `,"name":`...)
					b = jsonw.String(b, op.Name)
				}
				b = append(b, `,"scopes":`...)
				b = jsonw.Strings(b, op.Scopes)
				b = append(b, '}')
			}
			return rawJSON(append(b, ']'))
		}},
		{"legacy_protocol", func(r *Resource) any { return r.Rules.Mode().String() }},
		{"mcp_body", func(r *Resource) any { return r.Body.String() }},
		{"max_body_bytes", func(r *Resource) any { return int64(r.MaxBodyBytes) }},
		{"shape_lists", func(r *Resource) any { return r.ShapeLists }},
		{"allowed_origins", func(r *Resource) any {
			if r.AllowedOrigins == nil {
				return omit // absent: the resource's own origin only
			}
			return r.AllowedOrigins
		}},
		{"scopes_supported", func(r *Resource) any { return nonNil(r.ScopesSupported) }},
		{"authorization_servers", func(r *Resource) any { return nonNil(r.AuthorizationServers) }},
		{"audience_match", func(r *Resource) any { return r.AudienceMatch.String() }},
		{"exclusive_audience", func(r *Resource) any { return r.ExclusiveAudience }},
		{"public_paths", func(r *Resource) any {
			public := make([]string, len(r.PublicPaths))
			for i, pp := range r.PublicPaths {
				public[i] = pp.Path
				if pp.Prefix {
					public[i] += "*"
				}
			}
			return public
		}},
		{"forward_token", func(r *Resource) any { return r.ForwardToken }},
		// DPoP (docs/configuration.md#resourcesdpop): written only when not "off".
		{"dpop", dpopWrite(func(r *Resource) any { return r.DPoP.String() })},
		{"dpop_algorithms", dpopWrite(func(r *Resource) any {
			algs := make([]string, len(r.DPoPAlgorithms))
			for i, a := range r.DPoPAlgorithms {
				algs[i] = string(a)
			}
			return algs
		})},
		{"dpop_nonce", dpopWrite(func(r *Resource) any { return r.DPoPNonce })},
		{"dpop_iat_window_seconds", dpopWrite(func(r *Resource) any { return int64(r.DPoPIATWindowSeconds) })},
		{"claim_headers", func(r *Resource) any {
			claims := make(map[string]string, len(r.ClaimHeaders))
			for _, ch := range r.ClaimHeaders {
				claims[ch.Claim] = ch.Header
			}
			return claims
		}},
	}
}

func remoteWrite(get func(*keys.Remote) int64) func(*Issuer) any {
	return func(is *Issuer) any {
		if is.Remote == nil {
			return omit
		}
		return get(is.Remote)
	}
}

// dpopWrite writes a DPoP key only when the resource's dpop is not "off".
func dpopWrite(f func(r *Resource) any) func(r *Resource) any {
	return func(r *Resource) any {
		if r.DPoP == DPoPOff {
			return omit
		}
		return f(r)
	}
}

// writeObject appends m as a JSON object with its members in sorted order,
// each value written by val.
func writeObject[V any](b []byte, m map[string]V, val func([]byte, V) []byte) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.String(b, k)
		b = append(b, ':')
		b = val(b, m[k])
	}
	return append(b, '}')
}
