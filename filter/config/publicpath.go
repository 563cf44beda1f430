package config

import (
	"strings"

	"github.com/audguard/audguard/internal/lex"
)

// readPublicPaths reads resources[].public_paths (docs/request-flow.md#7-public-paths). Entries are
// exact paths or "/seg/*" prefixes, in the normal form the request path must
// have to match (no "%", "?", dot segments, "//", "\", ";", NUL), and never
// one that covers the resource's own path (resourcePath is the canonical
// URI's path, "" for the root resource), byte for byte or once ASCII case
// and trailing dots are ignored (aliasKey).
func readPublicPaths(n *node, resourcePath string) ([]PublicPath, error) {
	entries, elems, err := readStrings(n)
	if err != nil {
		return nil, err
	}
	out := make([]PublicPath, 0, len(entries))
	for i, e := range entries {
		pp, err := publicPath(elems[i].path(), e, resourcePath)
		if err != nil {
			return nil, err
		}
		out = append(out, pp)
	}
	return out, nil
}

func publicPath(path, e, resourcePath string) (PublicPath, error) {
	bad := func(msg string) (PublicPath, error) {
		return PublicPath{}, refuse(path, msg, `write a plain absolute path such as "/healthz" or "/static/*"`)
	}
	if !strings.HasPrefix(e, "/") {
		return bad(`must start with "/"`)
	}
	if e == "/*" {
		return PublicPath{}, refuse(path, `"/*" would make every path of the resource public`, "list the public paths one by one")
	}
	switch {
	case strings.Contains(e, "%"):
		return bad(`contains "%": public paths are matched byte-exact and never percent-encoded`)
	case strings.Contains(e, "?"):
		return bad(`contains "?": public paths are matched against the path before the query`)
	case strings.ContainsRune(e, 0):
		return bad("contains a NUL byte")
	case strings.Contains(e, `\`):
		return bad(`contains "\"`)
	case strings.Contains(e, ";"):
		return bad(`contains ";"`)
	case strings.Contains(e, "//"):
		return bad(`contains "//"`)
	}
	pp := PublicPath{Path: e}
	if i := strings.IndexByte(e, '*'); i >= 0 {
		if i != len(e)-1 || !strings.HasSuffix(e, "/*") {
			return bad(`"*" is allowed only as a final "/*"`)
		}
		pp = PublicPath{Path: e[:len(e)-1], Prefix: true}
	}
	for _, seg := range strings.Split(pp.Path[1:], "/") {
		if seg == "." || seg == ".." {
			return bad(`contains a "." or ".." segment`)
		}
	}
	for i := 0; i < len(pp.Path); i++ {
		if !isPathChar(pp.Path[i]) {
			return bad("contains the byte 0x" + string([]byte{upperHex[pp.Path[i]>>4], upperHex[pp.Path[i]&15]}) + ", which is not allowed in a path (RFC 3986 §3.3)")
		}
	}
	if covers(pp, resourcePath) {
		return PublicPath{}, refuse(path, "covers the resource's own path: it would let requests to the resource through without a token",
			"remove it, or list only paths beside the resource's path")
	}
	if covers(PublicPath{Path: aliasKey(pp.Path), Prefix: pp.Prefix}, aliasKey(resourcePath)) {
		own := resourcePath
		if own == "" {
			own = "/"
		}
		return PublicPath{}, refuse(path, "covers the resource's own path "+quote(own)+" once ASCII case and trailing dots are ignored",
			"remove it: an upstream that matches paths regardless of case or drops trailing dots from segments (IIS and other "+
				"Windows servers, case-insensitive routers) serves the resource at it, and public paths pass without a token; "+
				"list only paths beside the resource's path")
	}
	return pp, nil
}

// aliasKey is the path p as an upstream that is lenient about spelling
// reads it: ASCII letters lower-cased and every segment's trailing dots
// dropped ("/MCP./x" → "/mcp/x"). The filter matches public paths
// byte-exact, so "/MCP" is not "/mcp" to it; to such an upstream it is, and
// a public "/MCP" would serve the resource without a token.
func aliasKey(p string) string {
	segs := strings.Split(lex.Lower(p), "/")
	for i, s := range segs {
		for strings.HasSuffix(s, ".") { // strings.TrimRight(s, "."), without its cutset machinery
			s = s[:len(s)-1]
		}
		segs[i] = s
	}
	return strings.Join(segs, "/")
}

// covers reports whether the public path entry matches the resource's own
// path (docs/configuration.md). The comparison ignores one trailing "/" on both sides:
// "/mcp" and "/mcp/" both cover the resource "https://h/mcp" and the resource
// "https://h/mcp/"; "/" covers the root resource.
func covers(pp PublicPath, resourcePath string) bool {
	base := strings.TrimSuffix(resourcePath, "/")
	if pp.Prefix {
		return strings.HasPrefix(base+"/", pp.Path)
	}
	return strings.TrimSuffix(pp.Path, "/") == base
}

// isPathChar reports whether c may appear in a public path entry: RFC 3986
// §3.3 pchar without pct-encoded (and without ";", refused above), plus "/".
func isPathChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,=:@/", c) >= 0
}

const upperHex = "0123456789ABCDEF"
