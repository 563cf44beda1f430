// Package config parses and validates the audguard plugin configuration
// (docs/configuration.md) and compiles it into the lookup tables the request path uses.
// It imports no proxy-wasm SDK, so the CLI and benchmarks use it natively.
package config

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/jwtlite"
)

// Mode is the plugin's enforcement mode (docs/configuration.md, docs/request-flow.md#report-mode).
type Mode uint8

const (
	// ModeEnforce answers denials locally.
	ModeEnforce Mode = iota
	// ModeReport decides, logs and counts, but never answers locally.
	ModeReport
)

func (m Mode) String() string {
	if m == ModeReport {
		return "report"
	}
	return "enforce"
}

// TokenType says how the JWS header `typ` is checked (RFC 9068 §4).
type TokenType uint8

const (
	// TokenTypeATJWT requires typ "at+jwt" or "application/at+jwt" (case-insensitive).
	TokenTypeATJWT TokenType = iota
	// TokenTypeAny does not check typ.
	TokenTypeAny
)

func (t TokenType) String() string {
	if t == TokenTypeAny {
		return "any"
	}
	return "at+jwt"
}

// AuthorityFrom says where the request authority used for resource
// resolution and metadata recognition comes from (docs/request-flow.md#6-resource).
type AuthorityFrom uint8

const (
	// AuthorityAuto is AuthorityExact on a host that serves Envoy's
	// xds.* properties, else AuthorityHost.
	AuthorityAuto AuthorityFrom = iota
	// AuthorityExact compares the :authority exactly as the host delivers it
	// (ASCII lower-cased only): Envoy's router matched that value.
	AuthorityExact
	// AuthorityHost uses the Host header as nginx's $host (port and one
	// trailing dot removed): on ngx_wasm_module hosts :authority is built
	// from the matched server_name and cannot tell servers apart.
	AuthorityHost
)

func (a AuthorityFrom) String() string {
	switch a {
	case AuthorityExact:
		return "authority"
	case AuthorityHost:
		return "host"
	}
	return "auto"
}

// Plugin is a validated, compiled configuration. It is immutable after Load.
type Plugin struct {
	Mode          Mode
	AuthorityFrom AuthorityFrom
	ClockSkew     time.Duration
	MaxTokenBytes int

	// CacheSize bounds each VM's verified-token cache (0 disables it).
	CacheSize int
	// SharedCacheSlots, when > 0, also shares verified tokens between the
	// VMs (Envoy workers) of one vm_id through proxy-wasm shared data, in
	// that many fixed slots. Off by default: see RATIONALE.md.
	SharedCacheSlots int

	// GCPercent is gc_percent: how much may be allocated between
	// collections, in percent of the heap live after the last one (Go's
	// GOGC; docs/configuration.md#gc_percent).
	GCPercent int
	// AccessLogProperties is access_log_properties: whether each decision
	// is published as proxy properties for access logs (docs/metrics.md).
	AccessLogProperties bool

	// DPoPNonceSecret is dpop_nonce_secret, decoded: the key of the DPoP
	// nonces (docs/configuration.md#dpop_nonce_secret); nil: the VMs of a
	// proxy make one and share it.
	DPoPNonceSecret []byte

	Issuers   []*Issuer   // in configuration order
	Resources []*Resource // in configuration order

	// Lookup tables (docs/request-flow.md#6-resource), built once at start: O(1) per request.
	ByRoute       map[string]*Resource // xds.route_name → resource
	ByVirtualHost map[string]*Resource // xds.virtual_host_name → resource
	ByAuthority   map[string]*Resource // canonical.NormalizeAuthority(a) → resource (authority_from "authority")
	ByHost        map[string]*Resource // canonical.HostOnly(a) → resource (authority_from "host"); nil under "authority"
	Default       *Resource            // the `default` resource, or nil

	// Metadata maps a metadata endpoint, a normalised authority and a
	// metadata path (without a trailing "/"), to the resource whose document
	// is served there (docs/request-flow.md#4-metadata-endpoint). One map for all authorities: no map
	// per authority to build at start.
	Metadata map[MetadataAt]*Resource
	// MetadataByHost is Metadata keyed by host only (authority_from "host");
	// nil under "authority".
	MetadataByHost map[MetadataAt]*Resource

	// StripHeaders is the union of every resource's claim header names, in
	// their folded form (lower case, every byte other than a-z0-9 as "-"),
	// lower-case, removed from every request (docs/request-flow.md#13-upstream-headers).
	StripHeaders []string

	// Warnings are non-fatal findings, in a stable order, each naming its JSON path.
	Warnings []string

	// doc is the configuration as given to Load; digest is its SHA-256,
	// computed on first use (Digest): hashing a 1 MB configuration took
	// 25 ms of a start in the module, and only shared data needs it.
	doc        string
	digestOnce sync.Once
	digest     [32]byte
}

// Digest is the SHA-256 of the configuration as given to Load: the VMs of a
// proxy, which all load the same bytes, key their shared data by it, so
// entries written under another configuration are never read.
func (p *Plugin) Digest() [32]byte {
	p.digestOnce.Do(func() { p.digest = sha256.Sum256([]byte(p.doc)) })
	return p.digest
}

// MetadataAt is where a metadata document is served: an authority (or a
// host, in Plugin.MetadataByHost) and a MetadataKey.
type MetadataAt struct {
	Authority string
	Path      string
}

// Issuer is one trusted token issuer (docs/configuration.md, docs/configuration.md#keys).
type Issuer struct {
	Index          int // position in Plugin.Issuers
	Name           string
	Issuer         string // exact `iss`
	Keys           *jwtlite.KeySet
	JWKS           []byte              // the configured JWK Set as compact JSON, private key members removed (for Plugin.JSON)
	Algorithms     []jwtlite.Algorithm // effective allowlist (explicit, or the keys' bound algorithms)
	TokenType      TokenType
	RequiredClaims []string

	// ExplicitAlgorithms is the configured "algorithms", nil when absent:
	// fetched keys are bound against it, never against the configured keys'.
	ExplicitAlgorithms []jwtlite.Algorithm
	// Remote is the issuer's remote JWK Set (jwks_uri and friends,
	// docs/configuration.md#remote-key-sets-jwks_uri); nil for configured keys only.
	Remote *keys.Remote
	// Revocation levers (docs/configuration.md#revocation), as configured and compiled.
	RevokedKeyIDs      []string
	RevokedTokenIDs    []string
	RejectIssuedBefore int64
	Revocation         *keys.Revocation // nil: nothing revoked
}

// PublicPath is one entry of resources[].public_paths (docs/request-flow.md#7-public-paths).
type PublicPath struct {
	Path   string // exact path, or for a prefix entry "/seg/" (the "*" removed)
	Prefix bool   // entry was "/seg/*": matches Path and everything below it
}

// ClaimHeader maps a claim to a request header set for the upstream (docs/request-flow.md#13-upstream-headers).
type ClaimHeader struct {
	Claim  string
	Header string // lower-case
}

// Resource is one protected MCP server (docs/configuration.md, docs/configuration.md#canonical-resource-uri).
type Resource struct {
	Index int    // position in Plugin.Resources
	URI   string // canonical resource URI (canonical.URI.String())
	Name  string // short name for counters, logs and access logs: [a-z0-9_-]{1,48}, unique

	nameDerived bool // Name was not configured
	Parsed      canonical.URI

	// own is canonical.NormalizeAuthority(Parsed.Authority()), ownOK its
	// ok: computed once by readResourceURI for the readers and the tables.
	own   string
	ownOK bool

	Routes       []string
	VirtualHosts []string
	Authorities  []string // normalised with canonical.NormalizeAuthority
	Default      bool

	Issuers        []*Issuer // accepted issuers
	RequiredScopes []string

	// MCP operations (docs/request-flow.md#8-origin, docs/request-flow.md#9-mcp-operation, docs/request-flow.md#12-scopes).
	ScopeImplies   map[string][]string // as configured, for JSON
	Implications   *mcp.Implications   // scope_implies, closed; nil without
	Operations     []mcp.Operation     // as configured
	Rules          *mcp.Rules          // required_scopes ∪ operations, compiled; never nil
	AllowedOrigins []string            // as configured
	Origins        *mcp.Origins        // the configured origins besides Origin; nil: none
	OriginsAny     bool                // allowed_origins ["*"]: Origin is not checked

	// The JSON-RPC body (docs/request-flow.md#9-mcp-operation).
	Body BodyMode // mcp_body
	// DPoP is resources[].dpop (RFC 9449; docs/configuration.md#resourcesdpop),
	// DPoPNonce dpop_nonce (RFC 9449 §9). The small fields sit in padding:
	// Load allocates a Resource per configured resource.
	DPoP      DPoPMode
	DPoPNonce bool
	// ShapeLists is shape_lists: the answers to list requests judged by
	// the body keep only the entries the token may use
	// (docs/request-flow.md#lists).
	ShapeLists   bool
	MaxBodyBytes int32 // max_body_bytes

	ScopesSupported      []string
	AuthorizationServers []string

	AudienceMatch     canonical.Mode
	Audience          *canonical.AudienceMatcher
	ExclusiveAudience bool
	// DPoPIATWindowSeconds is dpop_iat_window_seconds (DPoPIATWindow).
	DPoPIATWindowSeconds int32

	PublicPaths  []PublicPath
	ForwardToken bool
	ClaimHeaders []ClaimHeader // sorted by Header

	MetadataPath string // "/.well-known/oauth-protected-resource" + path
	MetadataURL  string // scheme://authority + MetadataPath

	// DPoPAlgorithms is dpop_algorithms: the proof algorithms accepted
	// (docs/configuration.md#resourcesdpop); nil when DPoP is DPoPOff.
	DPoPAlgorithms []jwtlite.Algorithm
}

// DPoPIATWindow is dpop_iat_window_seconds: how old a proof's iat may be.
func (r *Resource) DPoPIATWindow() time.Duration {
	return time.Duration(r.DPoPIATWindowSeconds) * time.Second
}

// DPoPMode is resources[].dpop: whether the resource accepts DPoP-bound
// access tokens (RFC 9449), and whether it accepts anything else.
type DPoPMode uint8

const (
	// DPoPOff accepts the Bearer scheme only; a DPoP-bound token presented
	// as a bearer token is still refused (RFC 9449 §7.2; RATIONALE.md).
	DPoPOff DPoPMode = iota
	// DPoPAllowed accepts both schemes: a DPoP-bound token with a valid
	// proof (DPoP scheme), a token without cnf.jkt as a bearer token.
	DPoPAllowed
	// DPoPRequired accepts the DPoP scheme only.
	DPoPRequired
)

func (m DPoPMode) String() string {
	switch m {
	case DPoPAllowed:
		return "allowed"
	case DPoPRequired:
		return "required"
	}
	return "off"
}

// Defaults and bounds of the DPoP keys (docs/configuration.md#resourcesdpop).
const (
	DefaultDPoPIATWindowSeconds = 60
	MinDPoPIATWindowSeconds     = 5
	MaxDPoPIATWindowSeconds     = 600
	// MinDPoPNonceSecretBytes is the shortest dpop_nonce_secret, decoded.
	MinDPoPNonceSecretBytes = 32
)

// DefaultDPoPAlgorithms is dpop_algorithms when absent: the asymmetric
// algorithms DPoP clients commonly sign with (RFC 9449 §4.2; never none or HS*).
var DefaultDPoPAlgorithms = []jwtlite.Algorithm{jwtlite.ES256, jwtlite.ES384, jwtlite.ES512, jwtlite.EdDSA, jwtlite.PS256, jwtlite.RS256}

// BodyMode is resources[].mcp_body: whether the filter reads the JSON-RPC
// body of a POST to the MCP endpoint.
type BodyMode uint8

const (
	// BodyOff judges MCP operations by the request headers only (and
	// legacy_protocol for clients older than 2026-07-28).
	BodyOff BodyMode = iota
	// BodyVerify holds the request until its body is whole, judges the
	// operation the body names, and holds the headers to it.
	BodyVerify
)

func (m BodyMode) String() string {
	if m == BodyVerify {
		return "verify"
	}
	return "off"
}

// Default and bounds of resources[].max_body_bytes.
const (
	DefaultMaxBodyBytes = 1 << 20
	MinMaxBodyBytes     = 1 << 10
	MaxMaxBodyBytes     = 64 << 20
)

// Origin is the resource's own origin, scheme "://" authority (RFC 6454 §4):
// always allowed (docs/request-flow.md#8-origin). A part of MetadataURL: no
// allocation.
func (r *Resource) Origin() string { return r.MetadataURL[:len(r.MetadataURL)-len(r.MetadataPath)] }

// Endpoint is the resource's MCP endpoint: the path of its URI, "/" when
// empty.
func (r *Resource) Endpoint() string {
	if r.Parsed.Path == "" {
		return "/"
	}
	return r.Parsed.Path
}

// IssuerFor returns the accepted issuer whose `iss` equals iss, or nil.
func (r *Resource) IssuerFor(iss []byte) *Issuer {
	for _, is := range r.Issuers {
		if is.Issuer == string(iss) {
			return is
		}
	}
	return nil
}
