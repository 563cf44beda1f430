package config

import (
	"encoding/json"
)

// The normalised configuration document, members in the contract §2 order.
type fileConfig struct {
	Mode             string         `json:"mode"`
	AuthorityFrom    string         `json:"authority_from"`
	ClockSkewSeconds int64          `json:"clock_skew_seconds"`
	MaxTokenBytes    int            `json:"max_token_bytes"`
	CacheSize        int            `json:"cache_size"`
	SharedCacheSlots int            `json:"shared_cache_slots"`
	Issuers          []fileIssuer   `json:"issuers"`
	Resources        []fileResource `json:"resources"`
}

type fileIssuer struct {
	Name           string          `json:"name"`
	Issuer         string          `json:"issuer"`
	JWKS           json.RawMessage `json:"jwks"`
	Algorithms     []string        `json:"algorithms"`
	TokenType      string          `json:"token_type"`
	RequiredClaims []string        `json:"required_claims"`
}

type fileResource struct {
	Resource             string            `json:"resource"`
	Routes               []string          `json:"routes"`
	VirtualHosts         []string          `json:"virtual_hosts"`
	Authorities          []string          `json:"authorities"`
	Default              bool              `json:"default"`
	Issuers              []string          `json:"issuers"`
	RequiredScopes       []string          `json:"required_scopes"`
	ScopesSupported      []string          `json:"scopes_supported"`
	AuthorizationServers []string          `json:"authorization_servers"`
	AudienceMatch        string            `json:"audience_match"`
	ExclusiveAudience    bool              `json:"exclusive_audience"`
	PublicPaths          []string          `json:"public_paths"`
	ForwardToken         bool              `json:"forward_token"`
	ClaimHeaders         map[string]string `json:"claim_headers"`
}

// JSON returns the configuration as normalised, indented JSON with every
// default written out (the effective algorithm allowlist included, private
// JWK members left out); Load(p.JSON()) yields an equivalent Plugin.
func (p *Plugin) JSON() []byte {
	f := fileConfig{
		Mode:             p.Mode.String(),
		AuthorityFrom:    p.AuthorityFrom.String(),
		ClockSkewSeconds: int64(p.ClockSkew.Seconds()),
		MaxTokenBytes:    p.MaxTokenBytes,
		CacheSize:        p.CacheSize,
		SharedCacheSlots: p.SharedCacheSlots,
		Issuers:          make([]fileIssuer, len(p.Issuers)),
		Resources:        make([]fileResource, len(p.Resources)),
	}
	for i, is := range p.Issuers {
		algs := make([]string, len(is.Algorithms))
		for j, a := range is.Algorithms {
			algs[j] = string(a)
		}
		f.Issuers[i] = fileIssuer{
			Name:           is.Name,
			Issuer:         is.Issuer,
			JWKS:           json.RawMessage(is.JWKS),
			Algorithms:     algs,
			TokenType:      is.TokenType.String(),
			RequiredClaims: nonNil(is.RequiredClaims),
		}
	}
	for i, r := range p.Resources {
		issuers := make([]string, len(r.Issuers))
		for j, is := range r.Issuers {
			issuers[j] = is.Name
		}
		public := make([]string, len(r.PublicPaths))
		for j, pp := range r.PublicPaths {
			public[j] = pp.Path
			if pp.Prefix {
				public[j] += "*"
			}
		}
		claims := make(map[string]string, len(r.ClaimHeaders))
		for _, ch := range r.ClaimHeaders {
			claims[ch.Claim] = ch.Header
		}
		f.Resources[i] = fileResource{
			Resource:             r.URI,
			Routes:               nonNil(r.Routes),
			VirtualHosts:         nonNil(r.VirtualHosts),
			Authorities:          nonNil(r.Authorities),
			Default:              r.Default,
			Issuers:              issuers,
			RequiredScopes:       nonNil(r.RequiredScopes),
			ScopesSupported:      nonNil(r.ScopesSupported),
			AuthorizationServers: nonNil(r.AuthorizationServers),
			AudienceMatch:        r.AudienceMatch.String(),
			ExclusiveAudience:    r.ExclusiveAudience,
			PublicPaths:          public,
			ForwardToken:         r.ForwardToken,
			ClaimHeaders:         claims,
		}
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		// Unreachable: every field is a plain value and JWKS was produced by
		// our own encoder. Fail closed: a document Load refuses.
		return nil
	}
	return append(out, '\n')
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
