package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/internal/errs"
	"github.com/audguard/audguard/internal/lex"
)

// field is one member of a configuration object (docs/configuration.md): its JSON
// name and how it is read, including its default when absent and any
// warning a risky value earns. The tables below are the only list of keys:
// the loader refuses members they do not name and reads them in table
// order; Plugin.JSON writes them in the same order (write.go).
// Adding a configuration key means a field in the Go type, a row here and
// its writer in write.go.
type field[T any] struct {
	name string
	// read sets the member from v, or its default when v is nil (absent).
	// n is the enclosing object, for refusals about a missing member.
	read func(l *loader, n, v *node, dst *T) error
}

// readFields checks n's members against names (the names of fields), then
// reads each field in order. It is object(n, names...) and then
// f.read(l, n, n.member(f.name), dst) per field, with each member matched
// to its field once (member names are unique: the parser refuses a
// repeated one) instead of every field searching the members.
func readFields[T any](l *loader, n *node, fields []field[T], names []string, dst *T) error {
	var buf [32]*node
	vals := buf[:]
	if len(fields) > len(buf) {
		vals = make([]*node, len(fields))
	}
	if err := matchFields(n, names, vals); err != nil {
		return err
	}
	for j, f := range fields {
		if err := f.read(l, n, vals[j], dst); err != nil {
			return err
		}
	}
	return nil
}

// matchFields is readFields' first step, the same for every table: it
// refuses n unless it is an object whose members are all in names, and
// sets vals[j] to the member named names[j] (nil when absent).
func matchFields(n *node, names []string, vals []*node) error {
	if n.kind != kindObject {
		return wrongType(n, "an object")
	}
	for i, k := range n.keys {
		j := 0
		for j < len(names) && names[j] != k {
			j++
		}
		if j == len(names) {
			return refuse(n.elems[i].path(), "unknown member",
				"remove it or correct the spelling; known members: "+strings.Join(names, ", "))
		}
		if vals[j] == nil { // the first, as n.member finds it
			vals[j] = n.elems[i]
		}
	}
	return nil
}

func fieldNames[T any](fields []field[T]) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

// The member names of each table, for readFields.
var (
	topNames      = fieldNames(topFields)
	issuerNames   = fieldNames(issuerFields)
	resourceNames = fieldNames(resourceFields)
)

// topFields are the members of the plugin configuration object.
var topFields = []field[Plugin]{
	{"mode", readMode},
	{"authority_from", readAuthorityFrom},
	{"clock_skew_seconds", readClockSkew},
	{"max_token_bytes", readMaxTokenBytes},
	{"cache_size", readCacheSize},
	{"shared_cache_slots", readSharedCacheSlots},
	{"gc_percent", readGCPercent},
	{"access_log_properties", readAccessLogProperties},
	// A secret: never written out (a dump of the configuration must not carry it).
	{"dpop_nonce_secret", readDPoPNonceSecret},
	{"issuers", readIssuers},
	{"resources", readResources},
}

// issuerFields are the members of an issuers[] entry (docs/configuration.md, docs/configuration.md#keys).
// "algorithms" is read before "jwks": the keys are bound against it.
var issuerFields = []field[Issuer]{
	{"name", readIssuerName},
	{"issuer", readIssuerIss},
	{"algorithms", readIssuerAlgorithms},
	{"token_type", readTokenType},
	{"required_claims", readRequiredClaims},
	{"jwks_uri", readJWKSURI},
	{"jwks_cluster", readJWKSCluster},
	{"jwks_refresh_seconds", remoteInt("jwks_refresh_seconds", keys.MinRefreshSeconds, keys.MaxRefreshSeconds,
		func(r *keys.Remote) *int64 { return &r.RefreshSeconds })},
	{"jwks_refetch_min_seconds", remoteInt("jwks_refetch_min_seconds", keys.MinRefetchMinSeconds, keys.MaxRefetchMinSeconds,
		func(r *keys.Remote) *int64 { return &r.RefetchMinSeconds })},
	{"jwks_timeout_ms", remoteInt("jwks_timeout_ms", keys.MinTimeoutMS, keys.MaxTimeoutMS,
		func(r *keys.Remote) *int64 { return &r.TimeoutMS })},
	{"jwks_max_stale_seconds", readMaxStale},
	{"jwks", readIssuerJWKS},
	{"revoked_key_ids", readRevokedKeyIDs},
	{"revoked_token_ids", readRevokedTokenIDs},
	{"reject_issued_before", readRejectIssuedBefore},
}

// resourceFields are the members of a resources[] entry (docs/configuration.md, docs/request-flow.md#6-resource, docs/configuration.md#canonical-resource-uri).
var resourceFields = []field[Resource]{
	{"resource", readResourceURI},
	{"name", readResourceName},
	{"routes", readRoutes},
	{"virtual_hosts", readVirtualHosts},
	{"authorities", readAuthorities},
	{"default", readDefault},
	{"issuers", readAcceptedIssuers},
	{"required_scopes", readRequiredScopes},
	{"scope_implies", readScopeImplies},
	{"operations", readOperations},
	{"legacy_protocol", readLegacyProtocol},
	{"mcp_body", readMCPBody},
	{"max_body_bytes", readMaxBodyBytes},
	{"shape_lists", readShapeLists},
	{"allowed_origins", readAllowedOrigins},
	{"scopes_supported", readScopesSupported},
	{"authorization_servers", readAuthorizationServers},
	{"audience_match", readAudienceMatch},
	{"exclusive_audience", readExclusiveAudience},
	{"public_paths", readResourcePublicPaths},
	{"forward_token", readForwardToken},
	// DPoP (docs/configuration.md#resourcesdpop): written only when not "off".
	{"dpop", readDPoP},
	{"dpop_algorithms", readDPoPAlgorithms},
	{"dpop_nonce", readDPoPNonce},
	{"dpop_iat_window_seconds", readDPoPIATWindow},
	{"claim_headers", readResourceClaimHeaders},
}

// Keys lists the configuration keys as JSON paths ("mode",
// "issuers[].name", "resources[].routes", …), in table order: what the
// loader accepts, for the CLI and the JSON Schema test.
func Keys() []string {
	var out []string
	for _, f := range topFields {
		out = append(out, f.name)
	}
	for _, f := range issuerFields {
		out = append(out, "issuers[]."+f.name)
	}
	for _, f := range resourceFields {
		out = append(out, "resources[]."+f.name)
	}
	return out
}

// ---- top level

func readMode(l *loader, _, v *node, p *Plugin) error {
	p.Mode = ModeEnforce
	if v == nil {
		return nil
	}
	w, err := readWord(v, "enforce", "report")
	if err != nil {
		return err
	}
	if w == "report" {
		p.Mode = ModeReport
		l.warn(v.path(), "report mode never blocks a request: denials are only logged and counted")
	}
	return nil
}

func readAuthorityFrom(_ *loader, _, v *node, p *Plugin) error {
	if v == nil {
		return nil
	}
	w, err := readWord(v, "auto", "authority", "host")
	if err != nil {
		return err
	}
	switch w {
	case "authority":
		p.AuthorityFrom = AuthorityExact
	case "host":
		p.AuthorityFrom = AuthorityHost
	}
	return nil
}

func readClockSkew(l *loader, _, v *node, p *Plugin) error {
	skew := int64(DefaultClockSkewSeconds)
	if v != nil {
		n, err := readInt(v, 0, MaxClockSkewSeconds)
		if err != nil {
			return err
		}
		skew = n
		if n > warnClockSkewSeconds {
			l.warn(v.path(), fmt.Sprintf("a leeway of %d s accepts expired tokens for over %d minutes", n, warnClockSkewSeconds/60))
		}
	}
	p.ClockSkew = time.Duration(skew) * time.Second
	return nil
}

func readMaxTokenBytes(_ *loader, _, v *node, p *Plugin) error {
	p.MaxTokenBytes = DefaultMaxTokenBytes
	if v == nil {
		return nil
	}
	n, err := readInt(v, MinMaxTokenBytes, MaxMaxTokenBytes)
	p.MaxTokenBytes = int(n)
	return err
}

func readCacheSize(l *loader, _, v *node, p *Plugin) error {
	p.CacheSize = DefaultCacheSize
	if v == nil {
		return nil
	}
	n, err := readInt(v, 0, MaxCacheSize)
	if err != nil {
		return err
	}
	p.CacheSize = int(n)
	if n == 0 {
		l.warn(v.path(), "the verified-token cache is off: every request verifies a signature")
	}
	return nil
}

func readSharedCacheSlots(l *loader, _, v *node, p *Plugin) error {
	if v == nil {
		return nil
	}
	n, err := readInt(v, 0, MaxSharedCacheSlots)
	if err != nil {
		return err
	}
	p.SharedCacheSlots = int(n)
	if n > 0 {
		l.warn(v.path(), "verified tokens are shared through proxy-wasm shared data: give this plugin a vm_id no other module uses")
	}
	return nil
}

// readGCPercent reads gc_percent: how far the heap may grow past the live
// heap between collections, in percent of it (Go's GOGC).
func readGCPercent(l *loader, _, v *node, p *Plugin) error {
	p.GCPercent = DefaultGCPercent
	if v == nil {
		return nil
	}
	n, err := readInt(v, MinGCPercent, MaxGCPercent)
	if err != nil {
		return err
	}
	p.GCPercent = int(n)
	return nil
}

// readAccessLogProperties reads access_log_properties (docs/metrics.md#access-log-properties).
func readAccessLogProperties(_ *loader, _, v *node, p *Plugin) error {
	p.AccessLogProperties = true
	if v == nil {
		return nil
	}
	b, err := readBool(v)
	if err != nil {
		return err
	}
	p.AccessLogProperties = b
	return nil
}

func readIssuers(l *loader, n, v *node, _ *Plugin) error {
	if v == nil {
		_, err := required(n, "issuers")
		return err
	}
	return l.issuers(v)
}

func readResources(l *loader, n, v *node, _ *Plugin) error {
	if v == nil {
		_, err := required(n, "resources")
		return err
	}
	return l.resources(v)
}

// ---- issuers[]

func readIssuerName(_ *loader, n, v *node, is *Issuer) error {
	var err error
	if v == nil {
		_, err = required(n, "name")
		return err
	}
	is.Name, err = readNonEmptyString(v)
	return err
}

func readIssuerIss(_ *loader, n, v *node, is *Issuer) error {
	var err error
	if v == nil {
		_, err = required(n, "issuer")
		return err
	}
	is.Issuer, err = readNonEmptyString(v)
	return err
}

// readIssuerAlgorithms reads an explicit allowlist into is.Algorithms; the
// default (the keys' bound algorithms) is set by readIssuerJWKS.
func readIssuerAlgorithms(l *loader, _, v *node, is *Issuer) error {
	if v == nil {
		return nil
	}
	algs, err := readAlgorithms(v)
	if err != nil {
		return err
	}
	is.Algorithms = algs
	for i, a := range algs {
		if a.IsHMAC() {
			l.warn(v.elems[i].path(), string(a)+" verifies with a shared secret: the shared secret is visible in the host's config dump")
		}
	}
	return nil
}

func readTokenType(l *loader, _, v *node, is *Issuer) error {
	is.TokenType = TokenTypeATJWT
	if v == nil {
		return nil
	}
	w, err := readWord(v, "at+jwt", "any")
	if err != nil {
		return err
	}
	if w == "any" {
		is.TokenType = TokenTypeAny
		l.warn(v.path(), `"any" does not check typ: other JWTs of this issuer naming the resource (ID tokens, for one) are accepted as access tokens (RFC 8725 §3.11, RFC 9068 §4)`)
	}
	return nil
}

func readRequiredClaims(_ *loader, _, v *node, is *Issuer) error {
	is.RequiredClaims = []string{}
	if v == nil {
		return nil
	}
	var err error
	is.RequiredClaims, _, err = readStrings(v)
	return err
}

// ---- resources[]

func readRoutes(l *loader, _, v *node, r *Resource) error {
	r.Routes = []string{}
	if v == nil {
		return nil
	}
	var elems []*node
	var err error
	if r.Routes, elems, err = readStrings(v); err != nil {
		return err
	}
	for i, name := range r.Routes {
		if name == "default" {
			l.warn(elems[i].path(), `route name "default" is a catch-all name in several control planes (Istio); it may take requests meant for other services`)
		}
	}
	return nil
}

func readVirtualHosts(l *loader, _, v *node, r *Resource) error {
	r.VirtualHosts = []string{}
	if v == nil {
		return nil
	}
	var elems []*node
	var err error
	if r.VirtualHosts, elems, err = readStrings(v); err != nil {
		return err
	}
	for i, name := range r.VirtualHosts {
		if containsStar(name) {
			l.warn(elems[i].path(), `virtual host name contains "*": it is compared literally, and such a virtual host usually serves many hosts`)
		}
	}
	return nil
}

func readAuthorities(l *loader, _, v *node, r *Resource) error {
	r.Authorities = []string{}
	if v == nil {
		return nil
	}
	raw, elems, err := readStringsIn(l, v)
	if err != nil {
		return err
	}
	own := r.own // "" when the resource URI's authority cannot be normalised
	// Normalised in place: raw is ours, and NormalizeAuthority returns an
	// authority that is already normal as it is. The resource URI's own
	// normalised authority, the usual entry, is normal already:
	// NormalizeAuthority is idempotent (canonical's FuzzNormalizeAuthority).
	for i, a := range raw {
		norm, ok := a, true
		if !r.ownOK || a != own {
			norm, ok = canonical.NormalizeAuthority(a)
		}
		if !ok {
			return refuse(elems[i].path(), fmt.Sprintf("%q is not a valid host[:port] authority", a), `write a host name, optionally with ":port"`)
		}
		for j, prev := range raw[:i] {
			if prev == norm {
				return refuse(elems[i].path(), fmt.Sprintf("authority %q repeats %s after normalisation", norm, elems[j].path()), "remove the repeated entry")
			}
		}
		if norm != own {
			l.warn(elems[i].path(), fmt.Sprintf("authority %q differs from the resource URI's authority %q: the metadata document served on it names the resource URI, not that authority's URL", norm, own))
		}
		raw[i] = norm
	}
	r.Authorities = raw
	return nil
}

// readDefault reads "default", the last of the four ways a request maps to
// a resource (docs/request-flow.md#6-resource), and refuses a resource no request can reach.
func readDefault(_ *loader, n, v *node, r *Resource) error {
	if v != nil {
		var err error
		if r.Default, err = readBool(v); err != nil {
			return err
		}
	}
	if len(r.Routes) == 0 && len(r.VirtualHosts) == 0 && len(r.Authorities) == 0 && !r.Default {
		return refuse(n.path(), "has none of routes, virtual_hosts, authorities, default: no request can reach it",
			`add "routes", "virtual_hosts" or "authorities", or set "default": true`)
	}
	return nil
}

func readExclusiveAudience(l *loader, _, v *node, r *Resource) error {
	r.ExclusiveAudience = true
	if v == nil {
		return nil
	}
	var err error
	if r.ExclusiveAudience, err = readBool(v); err != nil {
		return err
	}
	if !r.ExclusiveAudience {
		l.warn(v.path(), "tokens whose aud also names other services are accepted: such a token can be replayed between them")
	}
	return nil
}

func readResourcePublicPaths(_ *loader, _, v *node, r *Resource) error {
	r.PublicPaths = []PublicPath{}
	if v == nil {
		return nil
	}
	var err error
	r.PublicPaths, err = readPublicPaths(v, r.Parsed.Path)
	return err
}

func readForwardToken(l *loader, _, v *node, r *Resource) error {
	if v == nil {
		return nil
	}
	var err error
	if r.ForwardToken, err = readBool(v); err != nil {
		return err
	}
	if r.ForwardToken {
		l.warn(v.path(), "the upstream MCP server receives the access token; the MCP authorization specification forbids passing it through to other services")
	}
	return nil
}

func readResourceClaimHeaders(_ *loader, _, v *node, r *Resource) error {
	r.ClaimHeaders = []ClaimHeader{}
	if v == nil {
		return nil
	}
	var err error
	r.ClaimHeaders, err = readClaimHeaders(v)
	return err
}

// maxResourceName bounds resources[].name (docs/configuration.md): it becomes part of
// counter names and log lines.
const maxResourceName = 48

// readResourceName reads resources[].name, the short name used in counters,
// logs and access-log properties; by default the resource URI's host and
// path with every byte other than a-z and 0-9 as "_" (cut to 48 bytes).
// Uniqueness is checked with the other tables.
func readResourceName(l *loader, _, v *node, r *Resource) error {
	if v == nil {
		var buf [maxResourceName]byte
		r.Name, r.nameDerived = l.text.Bytes(appendResourceName(buf[:0], r.Parsed.Host, r.Parsed.Path)), true
		return nil
	}
	s, err := readString(v)
	if err != nil {
		return err
	}
	if s == "" || len(s) > maxResourceName {
		return refuse(v.path(), fmt.Sprintf("%q is not 1 to %d characters", s, maxResourceName), "use a short name such as \"weather\"")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !lex.Is(c, lex.LowerAlnum) && c != '_' && c != '-' {
			return refuse(v.path(), fmt.Sprintf("%q may only hold a-z, 0-9, \"_\" and \"-\"", s), "use a short name such as \"weather\"")
		}
	}
	r.Name = s
	return nil
}

// DefaultResourceName derives a resource name from a URI's host and path:
// ASCII lower case, every byte other than a-z and 0-9 as "_", at most 48
// bytes. Two resources that differ only in scheme or port derive the same
// name; the loader then appends "_<index>" to the later one.
func DefaultResourceName(hostPath string) string { return defaultResourceName(hostPath, "") }

// defaultResourceName is DefaultResourceName(host + path), folded in a
// buffer on the stack: one allocation, the name's.
func defaultResourceName(host, path string) string {
	var buf [maxResourceName]byte
	return string(appendResourceName(buf[:0], host, path))
}

// appendResourceName appends the name defaultResourceName returns to b
// (which has room for maxResourceName bytes).
func appendResourceName(b []byte, host, path string) []byte {
	b = lex.AppendFold(b, host[:min(len(host), maxResourceName)], '_')
	return lex.AppendFold(b, path[:min(len(path), maxResourceName-len(b))], '_')
}

// uniqueName makes a derived name unique by appending "_<index>".
func uniqueName(name string, index int) string {
	suffix := "_" + itoa(index)
	if len(name)+len(suffix) > maxResourceName {
		name = name[:maxResourceName-len(suffix)]
	}
	return name + suffix
}

// ---- MCP operations (docs/request-flow.md#8-origin, docs/request-flow.md#9-mcp-operation, docs/request-flow.md#12-scopes; package filter/mcp)

// mcpRefusal turns a filter/mcp configuration error into a refusal at the
// resource's JSON path.
func mcpRefusal(n *node, err error) error {
	if ce, ok := errs.As[*mcp.ConfigError](err); ok {
		return refuse(n.path()+"."+ce.Path(), ce.Msg, ce.Fix)
	}
	return refuse(n.path(), err.Error(), "")
}

// readScopeImplies reads scope_implies: broader scope → the narrower scopes
// it grants, compiled to its transitive closure (MCP 2026-07-28: servers
// MUST account for scope hierarchies).
func readScopeImplies(_ *loader, n, v *node, r *Resource) error {
	if v == nil {
		return nil
	}
	if v.kind != kindObject {
		return wrongType(v, "an object mapping a scope to the scopes it implies")
	}
	m := make(map[string][]string, len(v.keys))
	for i, k := range v.keys {
		scopes, _, err := readStrings(v.elems[i])
		if err != nil {
			return err
		}
		m[k] = scopes
	}
	im, err := mcp.CompileImplications(m)
	if err != nil {
		return mcpRefusal(n, err)
	}
	r.ScopeImplies, r.Implications = m, im
	return nil
}

// readOperations reads operations: [{method, name?, scopes}] (docs/configuration.md);
// they are checked and compiled with legacy_protocol, read next.
func readOperations(_ *loader, _, v *node, r *Resource) error {
	if v == nil {
		return nil
	}
	if v.kind != kindArray {
		return wrongType(v, "an array of operations")
	}
	for _, e := range v.elems {
		if err := object(e, "method", "name", "scopes"); err != nil {
			return err
		}
		var op mcp.Operation
		m, err := required(e, "method")
		if err != nil {
			return err
		}
		if op.Method, err = readString(m); err != nil {
			return err
		}
		if nv := e.member("name"); nv != nil {
			if op.Name, err = readString(nv); err != nil {
				return err
			}
			if op.Name == "" {
				return refuse(nv.path(), "must not be empty", `give the tool, resource or prompt name, or omit "name" for every name`)
			}
		}
		sv, err := required(e, "scopes")
		if err != nil {
			return err
		}
		if op.Scopes, _, err = readStrings(sv); err != nil {
			return err
		}
		r.Operations = append(r.Operations, op)
	}
	return nil
}

// readLegacyProtocol reads legacy_protocol and compiles the resource's rules
// (required_scopes, scope_implies, operations): one map lookup per request.
func readLegacyProtocol(l *loader, n, v *node, r *Resource) error {
	mode := mcp.LegacyRequireAll
	if v != nil {
		w, err := readWord(v, "require_all", "reject")
		if err != nil {
			return err
		}
		mode, _ = mcp.ParseLegacyMode(w)
	}
	rules, err := l.rules.Compile(r.RequiredScopes, r.Operations, mode, r.Implications)
	if err != nil {
		return mcpRefusal(n, err)
	}
	r.Rules = rules
	return nil
}

// readMCPBody reads mcp_body (docs/configuration.md#resourcesmcp_body): "verify" by default
// for a resource with operations, else "off".
func readMCPBody(_ *loader, _, v *node, r *Resource) error {
	r.Body = BodyOff
	if len(r.Operations) > 0 {
		r.Body = BodyVerify
	}
	if v == nil {
		return nil
	}
	w, err := readWord(v, "verify", "off")
	if err != nil {
		return err
	}
	r.Body = BodyOff
	if w == "verify" {
		r.Body = BodyVerify
	}
	return nil
}

// readShapeLists reads shape_lists (docs/configuration.md#resourcesshape_lists): true by
// default for a resource with operations, else false.
func readShapeLists(_ *loader, _, v *node, r *Resource) error {
	r.ShapeLists = len(r.Operations) > 0
	if v == nil {
		return nil
	}
	var err error
	r.ShapeLists, err = readBool(v)
	return err
}

// readMaxBodyBytes reads max_body_bytes (docs/configuration.md#resourcesmax_body_bytes).
func readMaxBodyBytes(_ *loader, _, v *node, r *Resource) error {
	r.MaxBodyBytes = DefaultMaxBodyBytes
	if v == nil {
		return nil
	}
	n, err := readInt(v, MinMaxBodyBytes, MaxMaxBodyBytes)
	if err != nil {
		return err
	}
	r.MaxBodyBytes = int32(n)
	return nil
}

// readAllowedOrigins reads allowed_origins (docs/request-flow.md#8-origin; MCP Streamable
// HTTP: servers MUST validate Origin). The resource's own origin is always
// allowed; absent, it is the only one; ["*"] turns the check off.
func readAllowedOrigins(l *loader, n, v *node, r *Resource) error {
	if v == nil {
		return nil
	}
	entries, nodes, err := readStrings(v)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return refuse(v.path(), "must not be empty", `list the allowed origins, or omit "allowed_origins" to allow only the resource's own origin`)
	}
	for i, e := range entries {
		if e != "*" {
			continue
		}
		if len(entries) > 1 {
			return refuse(nodes[i].path(), `"*" must be the only entry`, `use ["*"] alone to allow every origin, or list origins`)
		}
		r.AllowedOrigins, r.OriginsAny = entries, true
		l.warn(v.path(), `["*"]: the Origin header is not checked, so a web page on any site can reach this server through a user's browser (DNS rebinding); list the origins of your web clients instead`)
		return nil
	}
	o, err := mcp.CompileOrigins(entries)
	if err != nil {
		return mcpRefusal(n, err)
	}
	r.AllowedOrigins, r.Origins = entries, o
	return nil
}

// ---- remote key sets and revocation (docs/configuration.md#remote-key-sets-jwks_uri, docs/configuration.md#revocation; package filter/keys)

// keysRefusal turns a filter/keys configuration error into a refusal at the
// issuer's JSON path.
func keysRefusal(n *node, err error) error {
	if ce, ok := errs.As[*keys.ConfigError](err); ok {
		return refuse(n.path()+"."+ce.Member, ce.Problem, ce.Fix)
	}
	return refuse(n.path(), err.Error(), "")
}

// readJWKSURI reads jwks_uri: an https URL (plain http only to a loopback
// host) the issuer publishes its JWK Set at (RFC 8414 §2). The other jwks_*
// members need it.
func readJWKSURI(_ *loader, n, v *node, is *Issuer) error {
	if v == nil {
		for _, m := range []string{"jwks_cluster", "jwks_refresh_seconds", "jwks_refetch_min_seconds", "jwks_timeout_ms", "jwks_max_stale_seconds"} {
			if w := n.member(m); w != nil {
				return refuse(w.path(), "is set without jwks_uri", `add "jwks_uri", or remove "`+m+`"`)
			}
		}
		return nil
	}
	uri, err := readNonEmptyString(v)
	if err != nil {
		return err
	}
	if _, err := keys.FetchHeaders(uri); err != nil {
		return keysRefusal(n, err)
	}
	r := keys.DefaultRemote(uri, "")
	is.Remote = &r
	return nil
}

// readJWKSCluster reads jwks_cluster, the host's upstream cluster that
// reaches jwks_uri; required with it.
func readJWKSCluster(_ *loader, n, v *node, is *Issuer) error {
	if is.Remote == nil {
		return nil // refused by readJWKSURI when set alone
	}
	if v == nil {
		return refuse(n.path(), `"jwks_uri" needs "jwks_cluster"`, `name the host's cluster that reaches the jwks_uri, e.g. "jwks_cluster": "auth_example_com"`)
	}
	c, err := readNonEmptyString(v)
	if err != nil {
		return err
	}
	is.Remote.Cluster = c
	return nil
}

// remoteInt is not inlined, so that its closure is compiled once.
//
//go:noinline
func remoteInt(name string, lo, hi int64, field func(*keys.Remote) *int64) func(*loader, *node, *node, *Issuer) error {
	return func(_ *loader, _, v *node, is *Issuer) error {
		if is.Remote == nil || v == nil {
			return nil
		}
		n, err := readInt(v, lo, hi)
		if err != nil {
			return err
		}
		*field(is.Remote) = n
		return nil
	}
}

// readMaxStale reads jwks_max_stale_seconds (0: keep fetched keys forever;
// else at least jwks_refresh_seconds) and checks the whole remote set-up.
func readMaxStale(_ *loader, n, v *node, is *Issuer) error {
	if is.Remote == nil {
		return nil
	}
	if v != nil {
		s, err := readInt(v, 0, 1<<31)
		if err != nil {
			return err
		}
		is.Remote.MaxStaleSeconds = s
	}
	if err := is.Remote.Check(); err != nil {
		return keysRefusal(n, err)
	}
	return nil
}

func readRevokedKeyIDs(_ *loader, n, v *node, is *Issuer) error {
	if v == nil {
		return nil
	}
	var err error
	is.RevokedKeyIDs, _, err = readStrings(v)
	return err
}

func readRevokedTokenIDs(_ *loader, n, v *node, is *Issuer) error {
	if v == nil {
		return nil
	}
	var err error
	is.RevokedTokenIDs, _, err = readStrings(v)
	return err
}

// readRejectIssuedBefore reads reject_issued_before and compiles the
// issuer's revocation levers (docs/configuration.md#revocation).
func readRejectIssuedBefore(_ *loader, n, v *node, is *Issuer) error {
	if v != nil {
		s, err := readInt(v, 1, 1<<53)
		if err != nil {
			return err
		}
		is.RejectIssuedBefore = s
	}
	rev, err := keys.NewRevocation(keys.RevocationConfig{KeyIDs: is.RevokedKeyIDs, TokenIDs: is.RevokedTokenIDs, IssuedBefore: is.RejectIssuedBefore})
	if err != nil {
		return keysRefusal(n, err)
	}
	is.Revocation = rev
	return nil
}
