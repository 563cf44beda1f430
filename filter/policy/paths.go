package policy

import (
	"strings"

	"github.com/audguard/audguard/filter/config"
)

// normalPath reports whether p (a path without query) is in the normal form
// that public paths are matched against (docs/request-flow.md#7-public-paths): no empty segment
// ("//"), no "." or ".." segment, no "%" at all (so no upstream that decodes
// once more, "%252e" included, can read it as another path), no backslash,
// ";", "#", space, NUL or other byte outside %x21-7E. Anything else must
// carry a token, so a proxy or upstream that normalises differently can never
// turn a public match into access to a protected path.
func normalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\', ';', '#', '%':
			return false
		case '/':
			if i+1 < len(p) && p[i+1] == '/' {
				return false
			}
		default:
			if c <= ' ' || c >= 0x7f { // NUL, controls, space, DEL, non-ASCII
				return false
			}
		}
	}
	// Segment checks: "." and "..".
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// publicMatch reports whether path (without query) is one of r's public
// paths (docs/request-flow.md#7-public-paths): an exact entry, or under a "/seg/*" entry.
func publicMatch(r *config.Resource, path string) bool {
	if len(r.PublicPaths) == 0 || !normalPath(path) {
		return false
	}
	for _, pp := range r.PublicPaths {
		if pp.Prefix {
			if strings.HasPrefix(path, pp.Path) {
				return true
			}
		} else if path == pp.Path {
			return true
		}
	}
	return false
}
