package canonical

import (
	"errors"
	"github.com/audguard/audguard/internal/lex"
	"strings"
)

// ErrInvalid is wrapped by every error Parse and Canonicalize return.
var ErrInvalid = errors.New("canonical: invalid resource URI")

// MetadataPrefix is the RFC 9728 §3 well-known path of protected resource
// metadata: every metadata path begins with it.
const MetadataPrefix = "/.well-known/oauth-protected-resource"

// URI is a canonical resource URI (docs/configuration.md#canonical-resource-uri; RFC 3986 §6.2.2, RFC 8707 §2,
// MCP "Canonical Server URI"). Values returned by Parse are canonical; the
// zero value is not a valid URI.
type URI struct {
	Scheme string // "https" or "http", lower case
	Host   string // lower case; IPv6 literal in brackets, RFC 5952 form ("[2001:db8::1]"); ASCII only
	Port   string // "" when absent or the scheme's default (443/80); no leading zeros
	Path   string // "" for the root; otherwise starts with "/"; dot segments removed; percent-encoding
	// normalised (hex upper-case, unreserved decoded); a non-root trailing "/" is kept
}

// String returns scheme "://" Authority() Path, e.g. "https://mcp.example.com/mcp".
func (u URI) String() string { return u.Scheme + "://" + u.Authority() + u.Path }

// Authority returns Host, or Host ":" Port when Port is not empty.
func (u URI) Authority() string {
	if u.Port == "" {
		return u.Host
	}
	return u.Host + ":" + u.Port
}

// MetadataPath returns the RFC 9728 §3.1 path-inserted metadata path:
// "/.well-known/oauth-protected-resource" followed by Path.
func (u URI) MetadataPath() string { return MetadataPrefix + u.Path }

// MetadataURL returns scheme "://" Authority() MetadataPath() (RFC 9728 §3.1).
func (u URI) MetadataURL() string { return u.Scheme + "://" + u.Authority() + u.MetadataPath() }

// parseError is the error type of Parse; it wraps ErrInvalid.
type parseError struct {
	_     [0]func() // not comparable: no generated equality function in the module
	input string
	msg   string
}

// maxQuoted bounds how much of the input an error message repeats.
const maxQuoted = 200

func (e *parseError) Error() string {
	in := e.input
	if len(in) > maxQuoted {
		in = in[:maxQuoted] + "…"
	}
	return "resource " + quote(in) + ": " + e.msg
}

func (e *parseError) Unwrap() error { return ErrInvalid }

// Parse parses s as an absolute resource URI and returns its canonical form
// (docs/configuration.md#canonical-resource-uri). It applies RFC 3986 §6.2.2 syntax-based and §6.2.3
// scheme-based normalisation and refuses, with an error wrapping ErrInvalid,
// anything that is not an http(s) URI without userinfo, query or fragment
// (RFC 8707 §2). A '@' is refused in the path too, because audiences
// containing '@' never match (see AudienceMatcher). A caller tells "valid but
// not canonical" apart by u.String() != s.
func Parse(s string) (URI, error) {
	fail := func(msg string) (URI, error) { return URI{}, &parseError{input: s, msg: msg} }
	if s == "" {
		return fail("is empty")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80:
			return fail("contains a non-ASCII byte at offset " + itoa(i) +
				"; write the host as an A-label (punycode) and percent-encode the path (RFC 3986 §2)")
		case c <= ' ' || c == 0x7f:
			return fail("contains a control character or space at offset " + itoa(i))
		case c == '\\':
			return fail("contains a backslash at offset " + itoa(i))
		}
	}
	if strings.IndexByte(s, '#') >= 0 {
		return fail("has a fragment; resource URIs carry none (RFC 8707 §2)")
	}
	if strings.IndexByte(s, '?') >= 0 {
		return fail("has a query; resource URIs carry none (RFC 8707 §2)")
	}

	// Scheme (RFC 3986 §3.1).
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !validScheme(s[:colon]) {
		return fail(`is not an absolute URI (no scheme); write it as "https://host/path"`)
	}
	scheme := strings.ToLower(s[:colon])
	if scheme != "https" && scheme != "http" {
		return fail("scheme " + quote(s[:colon]) + " is not https or http")
	}
	rest := s[colon+1:]
	if !strings.HasPrefix(rest, "//") {
		return fail(`has no authority; write it as "` + scheme + `://host/path"`)
	}
	rest = rest[2:]

	// Authority (RFC 3986 §3.2).
	authEnd := strings.IndexByte(rest, '/')
	if authEnd < 0 {
		authEnd = len(rest)
	}
	authority, rawPath := rest[:authEnd], rest[authEnd:]
	if strings.IndexByte(authority, '@') >= 0 {
		return fail("has userinfo (\"…@\"); resource URIs carry none")
	}
	rawHost, rawPort, hasPort, msg := splitHostPort(authority)
	if msg != "" {
		return fail(msg)
	}
	host, msg := canonicalHost(rawHost)
	if msg != "" {
		return fail(msg)
	}
	port := ""
	if hasPort && rawPort != "" { // an empty port is dropped (RFC 3986 §6.2.3)
		n, ok := parsePort(rawPort)
		if !ok {
			return fail("invalid port " + quote(rawPort) + "; want a number from 1 to 65535")
		}
		if n != defaultPort(scheme) {
			port = itoa(n)
		}
	}

	path, msg := canonicalPath(rawPath)
	if msg != "" {
		return fail(msg)
	}
	return URI{Scheme: scheme, Host: host, Port: port, Path: path}, nil
}

// Canonicalize is Parse(s) followed by String.
func Canonicalize(s string) (string, error) {
	u, err := Parse(s)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Warnings returns the advisory findings for a canonical URI as full
// sentences (docs/configuration.md#canonical-resource-uri): a non-root trailing slash, and plain http to a
// host that is not loopback (localhost, 127.0.0.0/8, ::1).
func Warnings(u URI) []string {
	var w []string
	if len(u.Path) > 1 && strings.HasSuffix(u.Path, "/") {
		w = append(w, "resource "+quote(u.String())+
			" ends with \"/\": tokens must carry the trailing slash exactly, it is never ignored when audiences are compared.")
	}
	if u.Scheme == "http" && !IsLoopback(u.Host) {
		w = append(w, "resource "+quote(u.String())+
			" uses plain http for a host that is not loopback: the MCP authorization specification requires https, and tokens would travel unencrypted unless TLS is terminated in front of the proxy.")
	}
	return w
}

// validScheme reports whether s matches RFC 3986 §3.1
// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case lex.Is(c, lex.Alpha):
		case i > 0 && (lex.Is(c, lex.Digit) || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// defaultPort returns the RFC 9110 §4.2 default port of an http(s) scheme.
func defaultPort(scheme string) int {
	if scheme == "https" {
		return 443
	}
	return 80
}

// IsLoopback reports whether host (as in a URI: an IPv6 literal in brackets)
// is localhost or a loopback address, where plain http is acceptable.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a, ok := parseIPv6(host[1 : len(host)-1])
		return ok && a == ipv6{15: 1}
	}
	a, ok := parseIPv4(host)
	return ok && a[0] == 127
}
