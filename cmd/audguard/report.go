package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/jwtlite"
)

// checkReport is what `audguard check` finds in one file (--json prints it).
type checkReport struct {
	File     string         `json:"file"`
	Status   string         `json:"status"`         // "ok", "warnings", "invalid"; "skipped": found in a directory, holds no configuration
	Note     string         `json:"note,omitempty"` // why a file was skipped
	Error    string         `json:"error,omitempty"`
	Errors   int            `json:"errors"`            // problems of severity "error", all filters
	Warnings int            `json:"warnings"`          // problems of severity "warning", all filters
	Target   string         `json:"target,omitempty"`  // --target: the proxy a plugin configuration file is for
	Notes    []string       `json:"notes,omitempty"`   // what the check did not read (an nginx file's include directives)
	Code     string         `json:"code,omitempty"`    // Error's problem code
	Ignored  int            `json:"ignored,omitempty"` // problems --ignore left out, all filters
	Filters  []filterReport `json:"filters"`
}

// filterReport is one plugin configuration found in the file.
type filterReport struct {
	Source           string           `json:"source"` // YAML path, or "$" for a plugin configuration file
	Kind             string           `json:"kind"`
	Line             int              `json:"line,omitempty"`          // where the filter is in the file
	Valid            bool             `json:"valid"`                   // the filter would start: its loader accepts the configuration
	ProxyRefuses     bool             `json:"proxy_refuses,omitempty"` // the proxy refuses its own configuration because of a listed problem (nginx -t fails)
	Error            *errorReport     `json:"error,omitempty"`         // the loader's first refusal, as the filter logs it
	Mode             string           `json:"mode,omitempty"`
	AuthorityFrom    string           `json:"authority_from,omitempty"` // auto, authority or host
	ClockSkewSeconds int              `json:"clock_skew_seconds,omitempty"`
	MaxTokenBytes    int              `json:"max_token_bytes,omitempty"`
	Issuers          []issuerReport   `json:"issuers,omitempty"`
	Resources        []resourceReport `json:"resources,omitempty"`
	Problems         []problem        `json:"problems"` // every finding, in file order
	Warnings         []string         `json:"warnings"` // the warnings of Problems as "path: message" lines
}

// Problem severities. An error makes `audguard check` exit 2; a warning
// exits 1 under --strict.
const (
	sevError   = "error"
	sevWarning = "warning"
)

// problem is one finding: a refusal of the filter's loader, a warning of
// the loader or of the CLI, or a finding on the proxy configuration around
// the filter.
type problem struct {
	Severity string `json:"severity"`
	// Code names the problem's kind (codes.go): stable, listed by
	// --list-codes, suppressed by --ignore. Set where the problem is made,
	// or by buildFilterReport from the problem's origin and message.
	Code string `json:"code"`
	// Path is a JSON path in the plugin configuration (issuers[0].jwks), or
	// a YAML path in the file ($.static_resources…) starting with "$".
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"` // 1-based, in the checked file; 0 when unknown
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`

	// fatal: the proxy itself refuses its configuration file because of
	// this (nginx -t fails), whatever the filter's loader says.
	fatal bool
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
	// Remote keys and revocation (omitted when not configured).
	JWKSURI            string   `json:"jwks_uri,omitempty"`
	JWKSCluster        string   `json:"jwks_cluster,omitempty"`
	RefreshSeconds     int64    `json:"jwks_refresh_seconds,omitempty"`
	RefetchMinSeconds  int64    `json:"jwks_refetch_min_seconds,omitempty"`
	TimeoutMS          int64    `json:"jwks_timeout_ms,omitempty"`
	MaxStaleSeconds    int64    `json:"jwks_max_stale_seconds,omitempty"`
	RevokedKeyIDs      []string `json:"revoked_key_ids,omitempty"`
	RevokedTokenIDs    int      `json:"revoked_token_ids,omitempty"` // how many; the values stay in the configuration
	RejectIssuedBefore int64    `json:"reject_issued_before,omitempty"`
}

// operationReport is one MCP operation rule.
type operationReport struct {
	Method string   `json:"method"`
	Name   string   `json:"name,omitempty"`
	Scopes []string `json:"scopes"`
}

// keyReport names a key without its material.
type keyReport struct {
	Kid string `json:"kid,omitempty"`
	Kty string `json:"kty"`
	Alg string `json:"alg"` // the bound algorithm (docs/configuration.md#keys)
}

type resourceReport struct {
	Resource             string              `json:"resource"`
	MetadataURL          string              `json:"metadata_url"`
	Routes               []string            `json:"routes"`
	VirtualHosts         []string            `json:"virtual_hosts"`
	Authorities          []string            `json:"authorities"`
	Default              bool                `json:"default"`
	Issuers              []string            `json:"issuers"`
	RequiredScopes       []string            `json:"required_scopes"`
	ScopesSupported      []string            `json:"scopes_supported"`
	AuthorizationServers []string            `json:"authorization_servers"`
	AudienceMatch        string              `json:"audience_match"`
	ExclusiveAudience    bool                `json:"exclusive_audience"`
	PublicPaths          []string            `json:"public_paths"`
	ForwardToken         bool                `json:"forward_token"`
	ClaimHeaders         map[string]string   `json:"claim_headers"` // claim → header
	Name                 string              `json:"name"`
	Operations           []operationReport   `json:"operations,omitempty"`
	ScopeImplies         map[string][]string `json:"scope_implies,omitempty"`
	LegacyProtocol       string              `json:"legacy_protocol,omitempty"`
	AllowedOrigins       []string            `json:"allowed_origins,omitempty"`
	// MCPBody is mcp_body: "verify" (a POST to the MCP endpoint is judged by
	// its JSON-RPC body, at most MaxBodyBytes) or "off" (headers only).
	MCPBody      string `json:"mcp_body"`
	MaxBodyBytes int    `json:"max_body_bytes"`
	// ShapeLists is shape_lists: list answers show a token only what it may use.
	ShapeLists bool `json:"shape_lists"`
	// DPoP is the resource's DPoP (RFC 9449) settings; absent when dpop is "off".
	DPoP *dpopReport `json:"dpop,omitempty"`
}

// dpopReport is a resource's dpop, dpop_algorithms, dpop_nonce and
// dpop_iat_window_seconds (docs/configuration.md#resourcesdpop).
type dpopReport struct {
	Mode             string   `json:"mode"` // "allowed" or "required"
	Algorithms       []string `json:"algorithms"`
	Nonce            bool     `json:"nonce"`
	IATWindowSeconds int      `json:"iat_window_seconds"`
}

// buildFilterReport validates one source exactly as the filter does at start
// (config.Load, through loadAll for every refusal), judges the proxy
// configuration around it, and describes the result.
func buildFilterReport(s source) filterReport {
	fr := filterReport{Source: s.Label, Kind: s.Kind, Line: s.Line}
	var probs []problem
	add := func(p problem) { probs = append(probs, p) }
	if s.Err != nil {
		p := problem{Severity: sevError, Path: s.Label, Line: s.Line, Message: s.Err.Error()}
		p.Code = classify(groupFile, p)
		add(p)
		fr.Error = &errorReport{Message: s.Err.Error()}
	}
	doc := newCfgDoc(&s)
	if s.Err == nil {
		res := loadAll(s.Config)
		for i, ce := range res.refusals {
			pr := problem{Severity: sevError, Path: ce.Path, Message: ce.Msg, Fix: unknownMemberFix(ce)}
			pr.Code = classify(groupRefusal, pr)
			if doc.syntax != nil && (strings.HasPrefix(ce.Msg, "invalid JSON") || strings.HasPrefix(ce.Msg, "trailing data")) {
				pr.Line, pr.Column = doc.offPos(doc.syntax.off)
			} else {
				pr.Line, pr.Column = doc.pos(ce.Path)
			}
			add(pr)
			if i == 0 {
				fr.Error = &errorReport{Path: ce.Path, Message: ce.Msg, Fix: ce.Fix}
			}
		}
		for _, w := range res.warnings {
			add(loaderWarning(doc, w))
		}
		if p := res.plugin; p != nil {
			fr.Valid = true
			describe(&fr, p)
		}
	}
	for _, n := range s.Notes {
		if n.Code == "" {
			n.Code = codeYAML11
		}
		add(n)
	}
	for _, p := range proxyProblems(&s, doc) {
		if p.Code == "" {
			p.Code = classify(groupProxy, p)
		}
		add(p)
	}
	sortProblems(probs)
	fr.Problems = nonNilProblems(probs)
	fr.Warnings = []string{}
	for _, p := range fr.Problems {
		fr.ProxyRefuses = fr.ProxyRefuses || p.fatal
		if p.Severity == sevWarning {
			fr.Warnings = append(fr.Warnings, p.Path+": "+p.Message)
		}
	}
	return fr
}

// unknownMemberFix is the fix of a refusal, with, for an unknown member,
// the known member its name is nearest to ("did you mean"), when one is
// near enough to be a slip.
func unknownMemberFix(ce *config.Error) string {
	const known = "known members: "
	if ce.Msg != "unknown member" {
		return ce.Fix
	}
	_, list, ok := strings.Cut(ce.Fix, known)
	if !ok {
		return ce.Fix
	}
	name := ce.Path
	if i := strings.LastIndexAny(name, ".]"); i >= 0 {
		name = name[i+1:]
	}
	if s := suggest(name, strings.Split(list, ", ")); s != "" && s != name {
		return fmt.Sprintf("did you mean %q? (%s)", s, ce.Fix)
	}
	return ce.Fix
}

// loaderWarning turns a "path: message" warning into a located problem.
func loaderWarning(doc *cfgDoc, w string) problem {
	path, msg, ok := strings.Cut(w, ": ")
	if !ok {
		path, msg = "$", w
	}
	pr := problem{Severity: sevWarning, Path: path, Message: msg}
	pr.Code = classify(groupWarning, pr)
	pr.Line, pr.Column = doc.pos(path)
	return pr
}

// sortProblems puts problems in file order (stable: findings at one place
// keep the order they were made in); problems without a line go last.
func sortProblems(ps []problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

func nonNilProblems(ps []problem) []problem {
	if ps == nil {
		return []problem{}
	}
	return ps
}

// describe fills the report's summary of a loaded configuration.
func describe(fr *filterReport, p *config.Plugin) {
	fr.Mode = p.Mode.String()
	fr.AuthorityFrom = p.AuthorityFrom.String()
	fr.ClockSkewSeconds = int(p.ClockSkew.Seconds())
	fr.MaxTokenBytes = p.MaxTokenBytes
	for _, is := range p.Issuers {
		ir := issuerReport{Name: is.Name, Issuer: is.Issuer, TokenType: is.TokenType.String(),
			RequiredClaims: append([]string{}, is.RequiredClaims...), Algorithms: []string{}, Keys: []keyReport{},
			RevokedKeyIDs: is.RevokedKeyIDs, RevokedTokenIDs: len(is.RevokedTokenIDs), RejectIssuedBefore: is.RejectIssuedBefore}
		if rm := is.Remote; rm != nil {
			ir.JWKSURI, ir.JWKSCluster = rm.URI, rm.Cluster
			ir.RefreshSeconds, ir.RefetchMinSeconds, ir.TimeoutMS, ir.MaxStaleSeconds = rm.RefreshSeconds, rm.RefetchMinSeconds, rm.TimeoutMS, rm.MaxStaleSeconds
		}
		for _, a := range is.Algorithms {
			ir.Algorithms = append(ir.Algorithms, string(a))
		}
		var configured []*jwtlite.Key // none when the keys come from jwks_uri only
		if is.Keys != nil {
			configured = is.Keys.Keys
		}
		for _, k := range configured {
			ir.Keys = append(ir.Keys, keyReport{Kid: k.ID, Kty: k.Kty, Alg: string(k.Alg)})
		}
		fr.Issuers = append(fr.Issuers, ir)
	}
	for _, r := range p.Resources {
		rr := resourceReport{
			Resource: r.URI, MetadataURL: r.MetadataURL,
			Routes: r.Routes, VirtualHosts: r.VirtualHosts, Authorities: r.Authorities, Default: r.Default,
			RequiredScopes: r.RequiredScopes, ScopesSupported: nonNil(policy.PublishedScopes(r)),
			AuthorizationServers: r.AuthorizationServers, AudienceMatch: r.AudienceMatch.String(),
			ExclusiveAudience: r.ExclusiveAudience, ForwardToken: r.ForwardToken,
			Issuers: []string{}, PublicPaths: []string{}, ClaimHeaders: map[string]string{},
			Name: r.Name, ScopeImplies: r.ScopeImplies, AllowedOrigins: r.AllowedOrigins,
			MCPBody: r.Body.String(), MaxBodyBytes: int(r.MaxBodyBytes), ShapeLists: r.ShapeLists,
		}
		for _, op := range r.Operations {
			rr.Operations = append(rr.Operations, operationReport{Method: op.Method, Name: op.Name, Scopes: op.Scopes})
		}
		if r.DPoP != config.DPoPOff {
			dr := &dpopReport{Mode: r.DPoP.String(), Algorithms: []string{}, Nonce: r.DPoPNonce, IATWindowSeconds: int(r.DPoPIATWindowSeconds)}
			for _, a := range r.DPoPAlgorithms {
				dr.Algorithms = append(dr.Algorithms, string(a))
			}
			rr.DPoP = dr
		}
		if len(r.Operations) > 0 {
			rr.LegacyProtocol = r.Rules.Mode().String()
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
