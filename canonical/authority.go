package canonical

import (
	"github.com/audguard/audguard/internal/lex"
)

// NormalizeAuthority normalises an HTTP :authority / Host value for resource
// lookups (docs/request-flow.md#6-resource): ASCII lower case (RFC 3986 §6.2.2.1), one trailing
// dot of the host removed, ":443" and ":80" removed (RFC 3986 §6.2.3; the
// request's scheme is not consulted), an empty port (":") removed, leading
// zeros of the port removed, an IPv6 literal kept in brackets in RFC 5952
// form. ok is false for anything that is not a valid host[:port]: userinfo,
// spaces, an empty host, a bad port, non-ASCII, "/", "?" and so on.
//
// Applying it to URI.Authority() gives the key a resource is found under. It
// returns a itself, without allocating, when a is already normal.
func NormalizeAuthority(a string) (norm string, ok bool) {
	rawHost, rawPort, hasPort, msg := splitHostPort(a)
	if msg != "" {
		return "", false
	}
	host, dot := rawHost, false
	if host != "" && host[0] != '[' && host[len(host)-1] == '.' {
		host, dot = host[:len(host)-1], true
	}
	canon, msg := checkHost(host)
	if msg != "" {
		return "", false
	}
	port, keepPort := 0, false
	if hasPort && rawPort != "" {
		n, ok := parsePort(rawPort)
		if !ok {
			return "", false
		}
		port, keepPort = n, n != 443 && n != 80
	}
	if canon && !dot && (!hasPort || (keepPort && rawPort[0] != '0')) {
		return a, true
	}
	host, _ = canonicalHost(host)
	if !keepPort {
		return host, true
	}
	return host + ":" + itoa(port), true
}

// ExactAuthority returns a request's :authority as a router matched it
// (docs/request-flow.md#6-resource, authority_from "authority"): ASCII lower case (RFC 3986
// §6.2.2.1) and nothing else. No port, trailing dot or leading zero is
// removed, because Envoy's own strip_any_host_port / strip_trailing_host_dot
// rewrite the header before any filter runs: what the filter sees is what the
// router matched, and "mcp-a.example.com:443" is not "mcp-a.example.com".
// ok is false for anything that is not a valid host[:port] (a host ending in
// "." included), which then maps to no authority at all. It returns a
// itself, without allocating, when a is already lower case.
func ExactAuthority(a string) (string, bool) {
	host, port, hasPort, msg := splitHostPort(a)
	if msg != "" {
		return "", false
	}
	canon, msg := checkHost(host)
	if msg != "" {
		return "", false
	}
	if hasPort {
		if _, ok := parsePort(port); !ok {
			return "", false
		}
	}
	if canon || host[0] == '[' && !lex.HasUpper(host) {
		return a, true
	}
	return lex.Lower(a), true
}

// HostOnly returns the host a Host header names, as nginx's $host does
// (docs/request-flow.md#6-resource, authority_from "host"): ASCII lower case, the port removed,
// one trailing dot removed. On nginx and Kong (ngx_wasm_module) this is the
// value the request was routed on; their :authority is built from the matched
// server_name and the local port instead, and cannot tell servers apart. ok
// is false when h is not a valid host[:port].
func HostOnly(h string) (string, bool) {
	host, port, hasPort, msg := splitHostPort(h)
	if msg != "" {
		return "", false
	}
	if hasPort && port != "" {
		if _, ok := parsePort(port); !ok {
			return "", false
		}
	}
	if host != "" && host[0] != '[' && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	canon, msg := checkHost(host)
	if msg != "" {
		return "", false
	}
	if canon || host[0] == '[' && !lex.HasUpper(host) {
		return host, true
	}
	return lex.Lower(host), true
}
