package main

import (
	"errors"
	"strings"

	"github.com/audguard/audguard/filter/config"
)

// checkReport is what `audguard check` finds in one file (--json prints it).
type checkReport struct {
	File    string         `json:"file"`
	Status  string         `json:"status"` // "ok", "warnings" or "invalid"
	Error   string         `json:"error,omitempty"`
	Filters []filterReport `json:"filters"`
}

// filterReport is one plugin configuration found in the file.
type filterReport struct {
	Source           string           `json:"source"` // YAML path, or "$" for a plugin configuration file
	Kind             string           `json:"kind"`
	Valid            bool             `json:"valid"`
	Error            *errorReport     `json:"error,omitempty"`
	Mode             string           `json:"mode,omitempty"`
	ClockSkewSeconds int              `json:"clock_skew_seconds,omitempty"`
	MaxTokenBytes    int              `json:"max_token_bytes,omitempty"`
	Issuers          []issuerReport   `json:"issuers,omitempty"`
	Resources        []resourceReport `json:"resources,omitempty"`
	Warnings         []string         `json:"warnings"`
}

// errorReport is a refusal: config.Error's path, message and fix.
type errorReport struct {
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

type issuerReport struct {
	Name           string      `json:"name"`
	Issuer         string      `json:"issuer"`
	Algorithms     []string    `json:"algorithms"`
	TokenType      string      `json:"token_type"`
	RequiredClaims []string    `json:"required_claims"`
	Keys           []keyReport `json:"keys"`
}

// keyReport names a key without its material.
type keyReport struct {
	Kid string `json:"kid,omitempty"`
	Kty string `json:"kty"`
	Alg string `json:"alg"` // the bound algorithm (contract §2.1)
}

type resourceReport struct {
	Resource             string            `json:"resource"`
	MetadataURL          string            `json:"metadata_url"`
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
	ClaimHeaders         map[string]string `json:"claim_headers"` // claim → header
}

// buildFilterReport validates one source exactly as the filter does at start
// (config.Load) and describes the result.
func buildFilterReport(s source) filterReport {
	fr := filterReport{Source: s.Label, Kind: s.Kind, Warnings: append([]string{}, s.Notes...)}
	if s.Err != nil {
		fr.Error = &errorReport{Message: s.Err.Error()}
		return fr
	}
	p, err := config.Load(s.Config)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			fr.Error = &errorReport{Path: ce.Path, Message: ce.Msg, Fix: ce.Fix}
		} else {
			fr.Error = &errorReport{Message: err.Error()}
		}
		return fr
	}
	fr.Valid = true
	fr.Mode = p.Mode.String()
	fr.ClockSkewSeconds = int(p.ClockSkew.Seconds())
	fr.MaxTokenBytes = p.MaxTokenBytes
	for _, is := range p.Issuers {
		ir := issuerReport{Name: is.Name, Issuer: is.Issuer, TokenType: is.TokenType.String(),
			RequiredClaims: append([]string{}, is.RequiredClaims...), Algorithms: []string{}, Keys: []keyReport{}}
		for _, a := range is.Algorithms {
			ir.Algorithms = append(ir.Algorithms, string(a))
		}
		for _, k := range is.Keys.Keys {
			ir.Keys = append(ir.Keys, keyReport{Kid: k.ID, Kty: k.Kty, Alg: string(k.Alg)})
		}
		fr.Issuers = append(fr.Issuers, ir)
	}
	for _, r := range p.Resources {
		rr := resourceReport{
			Resource: r.URI, MetadataURL: r.MetadataURL,
			Routes: r.Routes, VirtualHosts: r.VirtualHosts, Authorities: r.Authorities, Default: r.Default,
			RequiredScopes: r.RequiredScopes, ScopesSupported: nonNil(r.ScopesSupported),
			AuthorizationServers: r.AuthorizationServers, AudienceMatch: r.AudienceMatch.String(),
			ExclusiveAudience: r.ExclusiveAudience, ForwardToken: r.ForwardToken,
			Issuers: []string{}, PublicPaths: []string{}, ClaimHeaders: map[string]string{},
		}
		for _, is := range r.Issuers {
			rr.Issuers = append(rr.Issuers, is.Name)
		}
		for _, pp := range r.PublicPaths {
			if pp.Prefix {
				rr.PublicPaths = append(rr.PublicPaths, pp.Path+"*")
			} else {
				rr.PublicPaths = append(rr.PublicPaths, pp.Path)
			}
		}
		for _, ch := range r.ClaimHeaders {
			rr.ClaimHeaders[ch.Claim] = ch.Header
		}
		fr.Resources = append(fr.Resources, rr)
	}
	fr.Warnings = append(fr.Warnings, p.Warnings...)
	fr.Warnings = append(fr.Warnings, cliWarnings(p)...)
	return fr
}

// cliWarnings are findings config.Load does not make itself.
func cliWarnings(p *config.Plugin) []string {
	var w []string
	for i, is := range p.Issuers {
		if is.TokenType == config.TokenTypeAny {
			w = append(w, "issuers["+itoa(i)+"].token_type: \"any\" does not check typ: other JWTs of this issuer naming the resource (ID tokens, for one) are accepted as access tokens (RFC 8725 §3.11, RFC 9068 §4)")
		}
	}
	for i, r := range p.Resources {
		if r.ForwardToken {
			w = append(w, "resources["+itoa(i)+"].forward_token: the upstream MCP server receives the access token; the MCP authorization specification forbids passing it through to other services")
		}
	}
	return w
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func joinOr(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	return strings.Join(items, ", ")
}
