package keys

import (
	"strconv"
	"strings"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/internal/lex"
	"github.com/audguard/audguard/jwtlite"
)

// Remote is the configuration of one issuer's remote JWK Set: the jwks_* members of an
// issuers[] entry. Start from DefaultRemote, set what the configuration names, then Check.
type Remote struct {
	_                 [0]func() // not comparable: no generated equality function in the module
	URI               string    // jwks_uri: https, or http to a loopback host only
	Cluster           string    // jwks_cluster: the host's upstream cluster that reaches URI
	RefreshSeconds    int64     // jwks_refresh_seconds: 60–86400
	RefetchMinSeconds int64     // jwks_refetch_min_seconds: 5–3600
	TimeoutMS         int64     // jwks_timeout_ms: 100–30000
	MaxStaleSeconds   int64     // jwks_max_stale_seconds: 0 (keep fetched keys forever) or ≥ RefreshSeconds
}

// Defaults and bounds of the jwks_* members.
const (
	DefaultRefreshSeconds    = 600
	DefaultRefetchMinSeconds = 30
	DefaultTimeoutMS         = 2000
	DefaultMaxStaleSeconds   = 86400

	MinRefreshSeconds, MaxRefreshSeconds       = 60, 86400
	MinRefetchMinSeconds, MaxRefetchMinSeconds = 5, 3600
	MinTimeoutMS, MaxTimeoutMS                 = 100, 30000
)

// DefaultRemote returns a Remote for uri and cluster with every other member at its default.
func DefaultRemote(uri, cluster string) Remote {
	return Remote{URI: uri, Cluster: cluster, RefreshSeconds: DefaultRefreshSeconds,
		RefetchMinSeconds: DefaultRefetchMinSeconds, TimeoutMS: DefaultTimeoutMS, MaxStaleSeconds: DefaultMaxStaleSeconds}
}

// ConfigError is a refused jwks_* or revocation member: which member, what is wrong, and the fix.
// It never quotes key material.
type ConfigError struct {
	_       [0]func() // not comparable: no generated equality function in the module
	Member  string    // e.g. "jwks_uri", "revoked_token_ids[3]"
	Problem string
	Fix     string
}

func (e *ConfigError) Error() string { return e.Member + ": " + e.Problem + "; fix: " + e.Fix }

// refuse builds a *ConfigError; not inlined at its many callers.
//
//go:noinline
func refuse(member, problem, fix string) error {
	return &ConfigError{Member: member, Problem: problem, Fix: fix}
}

// Check refuses a Remote whose members are out of range or whose URI is not usable. The error
// is a *ConfigError.
func (r *Remote) Check() error {
	if _, err := FetchHeaders(r.URI); err != nil {
		return err
	}
	if r.Cluster == "" {
		return refuse("jwks_cluster", "is missing or empty", "name the host's cluster that reaches jwks_uri")
	}
	for i := 0; i < len(r.Cluster); i++ {
		if c := r.Cluster[i]; c <= ' ' || c >= 0x7f {
			return refuse("jwks_cluster", "contains a space, control or non-ASCII byte", "use the cluster's name exactly")
		}
	}
	if err := inRange("jwks_refresh_seconds", r.RefreshSeconds, MinRefreshSeconds, MaxRefreshSeconds); err != nil {
		return err
	}
	if err := inRange("jwks_refetch_min_seconds", r.RefetchMinSeconds, MinRefetchMinSeconds, MaxRefetchMinSeconds); err != nil {
		return err
	}
	if err := inRange("jwks_timeout_ms", r.TimeoutMS, MinTimeoutMS, MaxTimeoutMS); err != nil {
		return err
	}
	if r.MaxStaleSeconds != 0 && r.MaxStaleSeconds < r.RefreshSeconds {
		return refuse("jwks_max_stale_seconds", "is "+strconv.FormatInt(r.MaxStaleSeconds, 10)+
			", shorter than jwks_refresh_seconds ("+strconv.FormatInt(r.RefreshSeconds, 10)+")",
			"use 0 (never drop fetched keys) or at least jwks_refresh_seconds")
	}
	return nil
}

func inRange(member string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return refuse(member, "is "+strconv.FormatInt(v, 10)+", outside "+strconv.FormatInt(lo, 10)+"–"+strconv.FormatInt(hi, 10),
			"use a value from "+strconv.FormatInt(lo, 10)+" to "+strconv.FormatInt(hi, 10))
	}
	return nil
}

// FetchHeaders returns the request headers of a JWK Set fetch from uri, in the order
// proxywasm.DispatchHttpCall takes them: ":method" GET, ":authority" the URI's authority (host,
// and port when it has one other than the scheme's default), ":path" the path ("/" when empty)
// followed by the query when there is one, and "accept: application/json" (RFC 7517 §8.5 names
// application/jwk-set+json, but discovery documents and most servers serve application/json).
//
// uri is the jwks_uri of the issuer's metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3):
// an absolute https URI without userinfo or fragment; plain http only to a loopback host
// (localhost, 127.0.0.0/8, ::1). Host and path are normalised as for resource URIs
// (RFC 3986 §6.2.2, §6.2.3), which names the same resource. An error is a *ConfigError.
func FetchHeaders(uri string) ([][2]string, error) {
	const member = "jwks_uri"
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return nil, refuse(member, "contains a space, control, backslash or non-ASCII byte at offset "+itoa(i),
				"percent-encode it (RFC 3986 §2.1)")
		}
	}
	if strings.IndexByte(uri, '#') >= 0 {
		return nil, refuse(member, "has a fragment", "remove the \"#…\" part")
	}
	base, query, hasQuery := strings.Cut(uri, "?")
	u, err := canonical.Parse(base)
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "resource ") {
			msg = msg[i+2:]
		}
		return nil, refuse(member, msg, `write it as "https://host/path"`)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && canonical.IsLoopback(u.Host):
	default:
		return nil, refuse(member, "uses plain http to a host that is not loopback", "use https (plain http is only allowed to localhost, 127.0.0.0/8 and ::1)")
	}
	if !validQuery(query) {
		return nil, refuse(member, "has a malformed query", "percent-encode the query (RFC 3986 §3.4)")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	if hasQuery && query != "" {
		path += "?" + query
	}
	return [][2]string{
		{":method", "GET"},
		{":scheme", u.Scheme}, // ngx_wasm_module uses TLS only when the call says https
		{":authority", u.Authority()},
		{":path", path},
		{"accept", "application/json"},
	}, nil
}

// validQuery reports whether q is an RFC 3986 §3.4 query: pchar / "/" / "?", with every "%"
// followed by two hex digits. The caller has already refused spaces, controls and "#".
func validQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '%':
			if i+2 >= len(q) || !lex.Is(q[i+1], lex.HexDig) || !lex.Is(q[i+2], lex.HexDig) {
				return false
			}
			i += 2
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// AsymmetricAlgorithms is the allowlist of an issuer whose keys all come
// from a jwks_uri and which names no "algorithms": every asymmetric JWS
// algorithm jwtlite implements (a published set carries no shared secret;
// each fetched key is still bound to exactly one algorithm, RFC 8725 §3.1).
func AsymmetricAlgorithms() []jwtlite.Algorithm {
	return []jwtlite.Algorithm{jwtlite.EdDSA, jwtlite.ES256, jwtlite.ES384, jwtlite.ES512, jwtlite.Ed25519,
		jwtlite.PS256, jwtlite.PS384, jwtlite.PS512, jwtlite.RS256, jwtlite.RS384, jwtlite.RS512}
}

// quote is strconv.Quote and itoa strconv.Itoa, called rather than inlined
// in the messages that use them (smaller module, same text).
//
//go:noinline
func quote(s string) string { return strconv.Quote(s) }

//go:noinline
func itoa(i int) string { return strconv.Itoa(i) }
