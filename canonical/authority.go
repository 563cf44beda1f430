package canonical

import (
	"strconv"
	"strings"
)

// NormalizeAuthority normalises an HTTP :authority / Host value for resource
// lookups (contract §3): ASCII lower case (RFC 3986 §6.2.2.1), one trailing
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
	var b strings.Builder
	b.Grow(len(host) + 6)
	b.WriteString(host)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(port))
	return b.String(), true
}
