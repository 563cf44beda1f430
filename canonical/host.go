package canonical

import (
	"github.com/audguard/audguard/internal/lex"
	"strings"
)

// Host and port syntax shared by Parse and NormalizeAuthority
// (RFC 3986 §3.2.2 and §3.2.3, restricted to what HTTP hosts use).
//
// A reg-name is restricted to DNS-style labels of letters, digits, '-' and
// '_' separated by single dots (no percent-encoding, no other sub-delims);
// a name whose last label is numeric (or 0x-prefixed) must be a dotted-decimal
// IPv4 address so that no parser can read it as a different address. IP
// literals are IPv6 only (no zone identifier, no IPvFuture).

const (
	maxHostLen  = 253
	maxLabelLen = 63
)

// splitHostPort splits an authority without userinfo into host and port.
// hasPort is true when a ':' follows the host, even with an empty port.
func splitHostPort(a string) (host, port string, hasPort bool, msg string) {
	if a == "" {
		return "", "", false, "has an empty host"
	}
	var rest string
	if a[0] == '[' {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", false, "has an IPv6 literal without the closing \"]\""
		}
		host, rest = a[:end+1], a[end+1:]
	} else {
		i := strings.IndexByte(a, ':')
		if i < 0 {
			return a, "", false, ""
		}
		host, rest = a[:i], a[i:]
	}
	if rest == "" {
		return host, "", false, ""
	}
	if rest[0] != ':' {
		return "", "", false, "has characters after the IPv6 literal that are not a port"
	}
	return host, rest[1:], true, ""
}

// checkHost validates a host (reg-name, IPv4 address or bracketed IPv6
// literal) and reports whether it is already canonical: lower case, IPv6 in
// RFC 5952 form. It does not allocate.
func checkHost(h string) (canon bool, msg string) {
	if h == "" {
		return false, "has an empty host"
	}
	if h[0] == '[' {
		return checkIPLiteral(h)
	}
	if len(h) > maxHostLen {
		return false, "has a host longer than 253 bytes"
	}
	upper := false
	start := 0
	for i := 0; i <= len(h); i++ {
		if i == len(h) || h[i] == '.' {
			switch n := i - start; {
			case n == 0 && i == len(h):
				return false, "has a host ending with \".\"; write it without the trailing dot"
			case n == 0:
				return false, "has a host with an empty label (\"..\" or a leading \".\")"
			case n > maxLabelLen:
				return false, "has a host label longer than 63 bytes"
			}
			start = i + 1
			continue
		}
		switch c := h[i]; {
		case c >= 'a' && c <= 'z', lex.Is(c, lex.Digit), c == '-', c == '_':
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			return false, "has a host with a character other than letters, digits, \"-\", \"_\" and \".\""
		}
	}
	if numericLabel(h[strings.LastIndexByte(h, '.')+1:]) {
		if _, ok := parseIPv4(h); !ok {
			return false, "has a numeric host that is not a dotted-decimal IPv4 address"
		}
	}
	return !upper, ""
}

// checkIPLiteral validates "[" IPv6address "]" (RFC 3986 §3.2.2).
func checkIPLiteral(h string) (canon bool, msg string) {
	if len(h) < 2 || h[len(h)-1] != ']' {
		return false, "has an invalid IPv6 literal"
	}
	lit := h[1 : len(h)-1]
	if strings.IndexByte(lit, '%') >= 0 {
		return false, "has an IPv6 zone identifier; zones are not allowed"
	}
	if lit != "" && (lit[0] == 'v' || lit[0] == 'V') {
		return false, "has an IPvFuture literal; only IPv6 literals are supported"
	}
	a, ok := parseIPv6(lit)
	if !ok {
		return false, "has an invalid IPv6 literal"
	}
	var buf [64]byte
	return string(a.appendTo(buf[:0])) == lit, ""
}

// canonicalHost validates h and returns its canonical form (RFC 3986
// §6.2.2.1 lower case; RFC 5952 for IPv6). It returns h itself when h is
// already canonical.
func canonicalHost(h string) (string, string) {
	canon, msg := checkHost(h)
	switch {
	case msg != "":
		return "", msg
	case canon:
		return h, ""
	case h[0] == '[':
		a, _ := parseIPv6(h[1 : len(h)-1]) // validated by checkHost
		return "[" + a.String() + "]", ""
	default:
		return strings.ToLower(h), ""
	}
}

// numericLabel reports whether a label would be read as a number by a
// WHATWG-style host parser: all digits, or "0x" followed by hex digits.
func numericLabel(l string) bool {
	if len(l) >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
		for i := 2; i < len(l); i++ {
			if !lex.Is(l[i], lex.HexDig) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(l); i++ {
		if !lex.Is(l[i], lex.Digit) {
			return false
		}
	}
	return l != ""
}

// parsePort parses a non-empty decimal port (leading zeros allowed) in 1–65535.
func parsePort(p string) (int, bool) {
	if p == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if !lex.Is(p[i], lex.Digit) {
			return 0, false
		}
		n = n*10 + int(p[i]-'0')
		if n > 65535 {
			return 0, false
		}
	}
	return n, n != 0
}
