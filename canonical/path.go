package canonical

import (
	"github.com/audguard/audguard/internal/lex"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// canonicalPath validates the path of a resource URI and normalises it:
// percent-encodings upper-cased and unreserved characters decoded
// (RFC 3986 §6.2.2.2), then dot segments removed (§6.2.2.3 with the
// algorithm of §5.2.4). The root ("" or "/") is returned as "" (docs/configuration.md#canonical-resource-uri).
func canonicalPath(raw string) (string, string) {
	if plainPath(raw) { // already canonical: no copy
		if raw == "/" {
			return "", ""
		}
		return raw, ""
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '%':
			if i+2 >= len(raw) || !lex.Is(raw[i+1], lex.HexDig) || !lex.Is(raw[i+2], lex.HexDig) {
				end := min(i+3, len(raw))
				return "", "has an invalid percent-encoding " + quote(raw[i:end]) + " in its path (RFC 3986 §2.1)"
			}
			hi, _ := lex.Unhex(raw[i+1])
			lo, _ := lex.Unhex(raw[i+2])
			v := hi<<4 | lo
			if lex.Is(v, lex.Unreserved) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperHex[v>>4])
				b.WriteByte(upperHex[v&15])
			}
			i += 2
		case c == '@':
			return "", "has \"@\" in its path; audiences containing \"@\" are never accepted, so percent-encoding cannot help either: choose a path without it"
		case isPathChar(c):
			b.WriteByte(c)
		default:
			return "", "has " + quote(raw[i:i+1]) + " in its path, which must be percent-encoded (RFC 3986 §3.3)"
		}
	}
	p := removeDotSegments(b.String())
	if p == "/" {
		p = ""
	}
	return p, ""
}

// plainPath reports whether raw is made of path characters other than "%",
// "@" and ".": canonicalPath would return it unchanged (but "/" as "").
func plainPath(raw string) bool {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '%' || c == '@' || c == '.' || !isPathChar(c) {
			return false
		}
	}
	return true
}

// removeDotSegments implements remove_dot_segments of RFC 3986 §5.2.4.
func removeDotSegments(in string) string {
	if !strings.Contains(in, ".") {
		return in
	}
	out := make([]byte, 0, len(in))
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"): // A
			in = in[3:]
		case strings.HasPrefix(in, "./"): // A
			in = in[2:]
		case strings.HasPrefix(in, "/./"): // B
			in = in[2:]
		case in == "/.": // B
			in = "/"
		case strings.HasPrefix(in, "/../"): // C
			in = in[3:]
			out = dropLastSegment(out)
		case in == "/..": // C
			in = "/"
			out = dropLastSegment(out)
		case in == "." || in == "..": // D
			in = ""
		default: // E: move the first segment, with its leading "/", to the output
			j := strings.IndexByte(in[1:], '/') + 1
			if j == 0 {
				j = len(in)
			}
			out = append(out, in[:j]...)
			in = in[j:]
		}
	}
	return string(out)
}

// dropLastSegment removes the last segment of out and its preceding "/", if any.
func dropLastSegment(out []byte) []byte {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == '/' {
			return out[:i]
		}
	}
	return out[:0]
}

// isPathChar reports the RFC 3986 §3.3 pchar characters other than
// pct-encoded and "@" (handled by the caller), plus "/".
func isPathChar(c byte) bool { return lex.Is(c, lex.PathChar) }
