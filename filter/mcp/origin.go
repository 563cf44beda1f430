package mcp

import (
	"fmt"
	"strings"

	"github.com/audguard/audguard/internal/lex"
)

// maxOriginLen bounds allowed_origins entries, so a request's origin can be
// put in comparison form on the stack. DNS names have at most 253 octets.
const maxOriginLen = 255

// Origins is the compiled allowed_origins. Streamable HTTP servers MUST
// validate the Origin header of every incoming connection, and answer 403 to
// a present, invalid one, against DNS rebinding (MCP 2026-07-28,
// basic/transports/streamable-http, "Security & Endpoint"). It is read-only
// after CompileOrigins and safe for concurrent use.
type Origins struct {
	set  map[string]struct{}
	null bool
}

// CompileOrigins validates allowed_origins. Each entry is an ASCII serialized
// origin (RFC 6454 §6.2) in its canonical spelling — scheme "://" host
// [":" port], lower case, without the default port of http (80) or https
// (443), path, trailing slash, query, fragment or userinfo — or the literal
// "null" (RFC 6454 §7.3), at most 255 bytes, each once. Refusals are
// *ConfigError with List "allowed_origins".
func CompileOrigins(entries []string) (*Origins, error) {
	o := &Origins{set: make(map[string]struct{}, len(entries))}
	for i, e := range entries {
		if msg, fix := originProblem(e); msg != "" {
			return nil, &ConfigError{List: "allowed_origins", Index: i, Item: -1, Msg: msg, Fix: fix}
		}
		_, dup := o.set[e]
		if dup || e == "null" && o.null {
			return nil, &ConfigError{List: "allowed_origins", Index: i, Item: -1,
				Msg: fmt.Sprintf("%q is listed twice", e), Fix: "list each origin once"}
		}
		if e == "null" {
			o.null = true
		} else {
			o.set[e] = struct{}{}
		}
	}
	return o, nil
}

// originProblem says what is wrong with an allowed_origins entry, and how to
// fix it; "" when nothing is.
func originProblem(e string) (msg, fix string) {
	const form = `write scheme://host[:port], such as "https://app.example.com", or "null"`
	if e == "null" {
		return "", ""
	}
	if len(e) > maxOriginLen {
		return fmt.Sprintf("is longer than %d bytes", maxOriginLen), form
	}
	var buf [maxOriginLen]byte
	n, ok := canonicalOrigin(e, buf[:])
	switch {
	case ok && string(buf[:n]) == e:
		return "", ""
	case ok && strings.ToLower(e) != e:
		return fmt.Sprintf("%q is not lower case", e), fmt.Sprintf("write %q: scheme and host are compared case-insensitively", buf[:n])
	case ok:
		return fmt.Sprintf("%q names the default port", e), fmt.Sprintf("write %q: browsers never send the default port", buf[:n])
	}
	if i := strings.Index(e, "://"); i > 0 && strings.ContainsAny(e[i+3:], "/?#") {
		return fmt.Sprintf("%q has a path, trailing slash, query or fragment: an origin has none", e), form
	}
	return fmt.Sprintf("%q is not an origin", e), form
}

// Allowed reports whether a request's Origin value is in the set: scheme
// and host compared case-insensitively (RFC 3986 §6.2.2.1), the default port
// of http and https dropped, "null" only when listed. Anything that is not a
// serialized origin is not allowed. The caller refuses a request with more
// than one Origin header before asking. Allowed does not allocate.
func (o *Origins) Allowed(origin string) bool {
	if origin == "null" {
		return o.null
	}
	var buf [maxOriginLen]byte
	n, ok := canonicalOrigin(origin, buf[:])
	if !ok {
		return false
	}
	_, hit := o.set[string(buf[:n])]
	return hit
}

// SameOrigin reports whether a request's Origin value is own, an origin in
// comparison form (lower case, no default port: a resource's scheme and
// authority). It does not allocate.
func SameOrigin(origin, own string) bool {
	var buf [maxOriginLen]byte
	n, ok := canonicalOrigin(origin, buf[:])
	return ok && string(buf[:n]) == own
}

// canonicalOrigin writes the comparison form of a serialized origin into buf:
// scheme and host lower-cased, ":80" after http and ":443" after https
// dropped. ok is false when s is not
//
//	scheme "://" host [ ":" port ]
//	scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )   (RFC 3986 §3.1)
//	host   = 1*( ALPHA / DIGIT / "-" / "." / "_" )
//	       / "[" 1*( HEXDIG / ":" / "." ) "]"            (an IPv6 literal)
//	port   = 1..65535 in decimal, without leading zeros
//
// or when the result does not fit in buf.
func canonicalOrigin(s string, buf []byte) (int, bool) {
	n := 0
	put := func(c byte) bool {
		if n == len(buf) {
			return false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
		return true
	}
	i := strings.Index(s, "://")
	if i < 1 || !lex.Is(s[0], lex.Alpha) {
		return 0, false
	}
	for j := 0; j < i; j++ {
		if c := s[j]; !lex.Is(c, lex.Alpha|lex.Digit) && c != '+' && c != '-' && c != '.' {
			return 0, false
		}
	}
	scheme, rest := s[:i], s[i+3:]
	for j := 0; j < i+3; j++ {
		if !put(s[j]) {
			return 0, false
		}
	}
	var host, port string
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 2 {
			return 0, false
		}
		host, rest = rest[:j+1], rest[j+1:]
		for k := 1; k < j; k++ {
			if c := host[k]; !lex.Is(c, lex.HexDig) && c != ':' && c != '.' {
				return 0, false
			}
		}
	} else {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			j = len(rest)
		}
		host, rest = rest[:j], rest[j:]
		if host == "" {
			return 0, false
		}
		for k := 0; k < len(host); k++ {
			if c := host[k]; !lex.Is(c, lex.Alpha|lex.Digit) && c != '-' && c != '.' && c != '_' {
				return 0, false
			}
		}
	}
	for k := 0; k < len(host); k++ {
		if !put(host[k]) {
			return 0, false
		}
	}
	if rest == "" {
		return n, true
	}
	if rest[0] != ':' {
		return 0, false
	}
	port = rest[1:]
	if port == "" || len(port) > 5 || port[0] == '0' {
		return 0, false
	}
	v := 0
	for k := 0; k < len(port); k++ {
		if !lex.Is(port[k], lex.Digit) {
			return 0, false
		}
		v = v*10 + int(port[k]-'0')
	}
	if v > 65535 {
		return 0, false
	}
	if port == "443" && equalFold(scheme, "https") || port == "80" && equalFold(scheme, "http") {
		return n, true
	}
	for k := 0; k < len(rest); k++ {
		if !put(rest[k]) {
			return 0, false
		}
	}
	return n, true
}
