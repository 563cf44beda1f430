package canonical

import (
	"github.com/audguard/audguard/internal/lex"
)

// Mode is resources[].audience_match (docs/configuration.md#resourcesaudience_match).
type Mode uint8

const (
	// ModeExact compares aud with the resource after lower-casing only aud's
	// scheme and host (RFC 3986 §6.2.2.1). It is the default.
	ModeExact Mode = iota
	// ModeCanonical also drops the scheme's default port and treats an empty
	// path as "/" (RFC 3986 §6.2.3).
	ModeCanonical
)

// ParseMode parses the configuration words "exact" and "canonical".
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "exact":
		return ModeExact, true
	case "canonical":
		return ModeCanonical, true
	}
	return ModeExact, false
}

// String returns the configuration word of m.
func (m Mode) String() string {
	switch m {
	case ModeExact:
		return "exact"
	case ModeCanonical:
		return "canonical"
	}
	return "Mode(" + itoa(int(m)) + ")"
}

// AudienceMatcher compares token "aud" values with one resource
// (docs/configuration.md#canonical-resource-uri, RFC 8707 §2, RFC 9068 §4). Build it once at configuration load.
type AudienceMatcher struct {
	_           [0]func() // not comparable: no generated equality function in the module
	scheme      string    // lower case
	authority   string    // canonical: lower-case host, no default port
	withDefault string    // canonical mode: authority ":443" (or ":80"); "" when the resource has a port
	path        string    // canonical path, "" for the root
	mode        Mode
}

// NewAudienceMatcher returns a matcher for resource, which must come from
// Parse; a matcher for the zero URI matches nothing.
func NewAudienceMatcher(resource URI, mode Mode) *AudienceMatcher {
	m := MakeAudienceMatcher(resource, mode)
	return &m
}

// MakeAudienceMatcher is NewAudienceMatcher as a value, for a caller that
// keeps many matchers in one block. The zero AudienceMatcher matches
// nothing.
func MakeAudienceMatcher(resource URI, mode Mode) AudienceMatcher {
	m := AudienceMatcher{
		scheme:    resource.Scheme,
		authority: resource.Authority(),
		path:      resource.Path,
		mode:      mode,
	}
	if mode == ModeCanonical && resource.Port == "" {
		m.withDefault = resource.Host + ":" + itoa(defaultPort(resource.Scheme))
	}
	return m
}

// Match reports whether aud (one unescaped aud value) names the resource. It
// does not allocate.
//
//   - exact: equal to the resource after lower-casing aud's scheme and host
//     (RFC 3986 §6.2.2.1). Nothing else is normalised: "https://x:443/mcp" ≠
//     "https://x/mcp"; "https://x/mcp/" ≠ "https://x/mcp"; "http://x/mcp" ≠
//     "https://x/mcp"; "https://x/" ≠ "https://x".
//   - canonical: as exact, and also the scheme's default port dropped and an
//     empty path equal to "/" (RFC 3986 §6.2.3).
//   - both: a value with userinfo or any "@", a fragment, a query, a dot
//     segment, any "%", a backslash, a control character, a space or
//     non-ASCII never matches; the scheme is never dropped; a non-root
//     trailing slash is never ignored.
func (m *AudienceMatcher) Match(aud []byte) bool {
	if m == nil || m.scheme == "" { // not built by NewAudienceMatcher from a parsed URI
		return false
	}
	for _, c := range aud {
		if c <= ' ' || c >= 0x7f || c == '%' || c == '#' || c == '?' || c == '@' || c == '\\' {
			return false
		}
	}
	// scheme "://"
	if len(aud) < len(m.scheme)+3 || !lex.EqualFold(aud[:len(m.scheme)], m.scheme) ||
		string(aud[len(m.scheme):len(m.scheme)+3]) != "://" {
		return false
	}
	rest := aud[len(m.scheme)+3:]
	end := len(rest)
	for i, c := range rest {
		if c == '/' {
			end = i
			break
		}
	}
	authority, path := rest[:end], rest[end:]
	if hasDotSegment(path) {
		return false
	}
	if m.mode == ModeCanonical && m.path == "" && string(path) == "/" {
		path = path[:0]
	}
	if !lex.EqualFold(authority, m.authority) &&
		(m.withDefault == "" || !lex.EqualFold(authority, m.withDefault)) {
		return false
	}
	return string(path) == m.path
}

// hasDotSegment reports whether a path has a "." or ".." segment.
func hasDotSegment(p []byte) bool {
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if seg := p[start:i]; string(seg) == "." || string(seg) == ".." {
				return true
			}
			start = i + 1
		}
	}
	return false
}
